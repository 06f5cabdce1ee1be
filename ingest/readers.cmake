# The input readers of mnemo-ingest (ingest/reader.h): jsonl, parquet, tar/zip, WARC/WET,
# plain text, HTML to text, format detection and input discovery. The pipeline
# (pipeline.cmake) links mnemo_ingest_readers.
add_library(mnemo_ingest_readers STATIC
    ${CMAKE_CURRENT_LIST_DIR}/reader.c
    ${CMAKE_CURRENT_LIST_DIR}/stream.c
    ${CMAKE_CURRENT_LIST_DIR}/json.c
    ${CMAKE_CURRENT_LIST_DIR}/html.c
    ${CMAKE_CURRENT_LIST_DIR}/html_entities.c
    ${CMAKE_CURRENT_LIST_DIR}/charset.c
    ${CMAKE_CURRENT_LIST_DIR}/inputs.c
    ${CMAKE_CURRENT_LIST_DIR}/read_jsonl.c
    ${CMAKE_CURRENT_LIST_DIR}/read_text.c
    ${CMAKE_CURRENT_LIST_DIR}/read_archive.c
    ${CMAKE_CURRENT_LIST_DIR}/read_warc.c
    ${CMAKE_CURRENT_LIST_DIR}/read_parquet.c
    ${CMAKE_CURRENT_LIST_DIR}/parquet_meta.c
    ${CMAKE_CURRENT_LIST_DIR}/parquet_encoding.c
    ${CMAKE_CURRENT_LIST_DIR}/thrift.c)
target_link_libraries(mnemo_ingest_readers PUBLIC mnemo_common PkgConfig::ARCHIVE PkgConfig::ZLIB
                      PkgConfig::SNAPPY PkgConfig::ZSTD ${MATH_LIBRARY})
