# The ingestion pipeline (owned by the pipeline engineer; the readers live in readers.cmake).
#   mnemo_ingest_text: normalisation, text analysis, quality filters, MinHash (no I/O)
#   mnemo_ingest:      the distributed pipeline (work files, dedup, shards, report)
#   mnemo-ingest:      the program
add_library(mnemo_ingest_text STATIC
    ${CMAKE_CURRENT_LIST_DIR}/normalize.c
    ${CMAKE_CURRENT_LIST_DIR}/text.c
    ${CMAKE_CURRENT_LIST_DIR}/filters.c
    ${CMAKE_CURRENT_LIST_DIR}/filters_gopher.c
    ${CMAKE_CURRENT_LIST_DIR}/filters_repetition.c
    ${CMAKE_CURRENT_LIST_DIR}/filters_lines.c
    ${CMAKE_CURRENT_LIST_DIR}/minhash.c)
target_link_libraries(mnemo_ingest_text PUBLIC mnemo_common PkgConfig::UTF8PROC)
