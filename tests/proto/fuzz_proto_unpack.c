/* Fuzz target: every schema read from disk goes through the bounded unpack. */
#include <stdint.h>
#include <stdlib.h>

#include "proto/checkpoint.pb-c.h"
#include "proto/manifest.pb-c.h"
#include "proto/proto.h"
#include "proto/shard.pb-c.h"
#include "proto/tokenizer.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const ProtobufCMessageDescriptor *descriptors[] = {
        &mnemo__shard_footer__descriptor, &mnemo__manifest__descriptor,
        &mnemo__tokenizer__descriptor, &mnemo__checkpoint_meta__descriptor};
    for (size_t i = 0; i < sizeof descriptors / sizeof descriptors[0]; i++) {
        ProtobufCMessage *message = NULL;
        if (mn_proto_unpack(descriptors[i], data, size, 1 << 20, "fuzz", &message) == MN_OK)
            protobuf_c_message_free_unpacked(message, NULL);
    }
    return 0;
}
