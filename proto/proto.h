/* Protobuf helpers. protobuf-c's unpack trusts its input's length, so every message read
 * from disk or the network goes through mn_proto_unpack, which first checks the length
 * against a bound the caller states (a footer is never larger than X) and turns a parse
 * failure into an mn_status naming what was being read.
 *
 * Generated headers: #include "proto/shard.pb-c.h" (built from proto/shard.proto).
 */
#ifndef MNEMO_PROTO_PROTO_H
#define MNEMO_PROTO_PROTO_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Unpacks `len` bytes as a message of type `descriptor` into *out (free with
 * protobuf_c_message_free_unpacked). Fails with MN_ERR_LIMIT when len > max_len and with
 * MN_ERR_FORMAT when the bytes are not a valid message; `what` names the source in the
 * message ("shard a.mtok footer"). */
mn_status mn_proto_unpack(const ProtobufCMessageDescriptor *descriptor, const uint8_t *data,
                          size_t len, size_t max_len, const char *what, ProtobufCMessage **out);

/* Packs a message into a new buffer (free()). */
mn_status mn_proto_pack(const ProtobufCMessage *message, uint8_t **data, size_t *len);

/* Packs and writes a message to `path` atomically. */
mn_status mn_proto_write_file(const ProtobufCMessage *message, const char *path);

/* Reads a whole file of at most max_len bytes and unpacks it. */
mn_status mn_proto_read_file(const ProtobufCMessageDescriptor *descriptor, const char *path,
                             size_t max_len, ProtobufCMessage **out);

#endif
