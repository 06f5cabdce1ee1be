# The ingestion pipeline (owned by the pipeline engineer; the readers live in readers.cmake).
#   mnemo_ingest_text: normalisation, text analysis, quality filters, MinHash (no I/O)
#   mnemo_ingest_core: work files, MPI exchange, external sort, deduplication, work queue
#   mnemo_ingest:      the pipeline (phases, shards, manifest, report), with the readers
#   mnemo-ingest:      the program
set(dir ${CMAKE_CURRENT_LIST_DIR})
add_library(mnemo_ingest_text STATIC
    ${dir}/normalize.c ${dir}/text.c ${dir}/filters.c ${dir}/filters_gopher.c
    ${dir}/filters_repetition.c ${dir}/filters_lines.c ${dir}/minhash.c)
target_link_libraries(mnemo_ingest_text PUBLIC mnemo_common PkgConfig::UTF8PROC)
# The MinHash inner loop is written for the vectoriser, which -O2 runs only in its cheapest
# mode; -O3 lets it vectorise the loop (docs/benchmarks.md, "Ingest").
if(NOT MNEMO_SANITIZE)
    set_source_files_properties(${dir}/minhash.c PROPERTIES COMPILE_OPTIONS "-O3")
endif()

add_library(mnemo_ingest_core STATIC
    ${dir}/work.c ${dir}/exchange.c ${dir}/extsort.c ${dir}/dedup.c ${dir}/queue.c)
target_link_libraries(mnemo_ingest_core PUBLIC mnemo_common PkgConfig::ZSTD PkgConfig::JANSSON)

if(TARGET mnemo_ingest_readers)
    add_library(mnemo_ingest STATIC
        ${dir}/process.c ${dir}/plan.c ${dir}/pipeline.c ${dir}/report.c)
    target_link_libraries(mnemo_ingest PUBLIC mnemo_ingest_core mnemo_ingest_text
                          mnemo_ingest_readers mnemo_shards)
    mnemo_add_program(mnemo-ingest SOURCES ${dir}/ingest_main.c LIBS mnemo_ingest)
else()
    message(STATUS "ingest: the readers (readers.cmake) are not there yet; mnemo-ingest is not built")
endif()
