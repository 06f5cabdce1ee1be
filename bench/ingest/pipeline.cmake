# Benchmark of the ingestion pipeline (docs/benchmarks.md, "Ingest"). Not part of ctest:
#   cmake --build build --target bench_ingest
# runs bench_ingest.sh on a synthetic corpus (written once under build/bench-ingest/).
if(TARGET mnemo-ingest)
    add_executable(bench_ingest_corpus ${CMAKE_SOURCE_DIR}/tests/ingest/corpus.c
                   ${CMAKE_SOURCE_DIR}/tests/ingest/corpus_main.c)
    target_include_directories(bench_ingest_corpus PRIVATE ${CMAKE_SOURCE_DIR}/tests/ingest)
    target_link_libraries(bench_ingest_corpus PRIVATE mnemo_common PkgConfig::ZSTD)
    add_custom_target(bench_ingest
        COMMAND ${CMAKE_COMMAND} -E env MNEMO_MPIEXEC=${MPIEXEC_PROGRAM}
                bash ${CMAKE_CURRENT_LIST_DIR}/bench_ingest.sh $<TARGET_FILE:bench_ingest_corpus>
                $<TARGET_FILE:mnemo-ingest> ${CMAKE_BINARY_DIR}/bench-ingest
        DEPENDS bench_ingest_corpus mnemo-ingest
        USES_TERMINAL
        COMMENT "mnemo-ingest throughput against zstd -d")
endif()
