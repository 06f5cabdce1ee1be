#include "proto/proto.h"

#include <stdlib.h>

#include "common/io.h"
#include "common/mem.h"

mn_status mn_proto_unpack(const ProtobufCMessageDescriptor *descriptor, const uint8_t *data,
                          size_t len, size_t max_len, const char *what, ProtobufCMessage **out) {
    *out = NULL;
    MN_RETURN_ERROR_IF(len > max_len, MN_ERR_LIMIT,
                       "%s: message of %zu bytes is larger than the %zu-byte bound for a %s", what,
                       len, max_len, descriptor->short_name);
    ProtobufCMessage *message = protobuf_c_message_unpack(descriptor, NULL, len, data);
    MN_RETURN_ERROR_IF(message == NULL, MN_ERR_FORMAT, "%s: not a valid %s message (%zu bytes)",
                       what, descriptor->short_name, len);
    *out = message;
    return MN_OK;
}

mn_status mn_proto_pack(const ProtobufCMessage *message, uint8_t **data, size_t *len) {
    size_t size = protobuf_c_message_get_packed_size(message);
    uint8_t *buffer = mn_malloc(size);
    if (buffer == NULL)
        return MN_ERR_NOMEM;
    size_t written = protobuf_c_message_pack(message, buffer);
    if (written != size) {
        free(buffer);
        return mn_error(MN_ERR_EXTERNAL, "protobuf-c packed %zu bytes, expected %zu", written,
                        size);
    }
    *data = buffer;
    *len = size;
    return MN_OK;
}

mn_status mn_proto_write_file(const ProtobufCMessage *message, const char *path) {
    uint8_t *data;
    size_t len;
    MN_FORWARD_IF_ERROR(mn_proto_pack(message, &data, &len));
    mn_status status = mn_write_file_atomic(path, data, len);
    free(data);
    return status;
}

mn_status mn_proto_read_file(const ProtobufCMessageDescriptor *descriptor, const char *path,
                             size_t max_len, ProtobufCMessage **out) {
    uint8_t *data;
    size_t len;
    MN_FORWARD_IF_ERROR(mn_read_file(path, max_len, &data, &len));
    mn_status status = mn_proto_unpack(descriptor, data, len, max_len, path, out);
    free(data);
    return status;
}
