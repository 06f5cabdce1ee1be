# Tests of the input readers (ingest/readers.cmake). Fixtures are written at test time by
# independent tools (compression CLIs, tar, zip, wget, Node.js parquet writers, Python).
add_library(mnemo_readers_test_util STATIC ${CMAKE_CURRENT_LIST_DIR}/readers_util.c)
target_include_directories(mnemo_readers_test_util PUBLIC
                           ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(mnemo_readers_test_util PUBLIC mnemo_test_harness mnemo_ingest_readers)

mnemo_add_cunit_test(test_ingest_json SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ingest_json.c
                     LIBS mnemo_ingest_readers PkgConfig::JANSSON)
mnemo_add_cunit_test(test_ingest_jsonl SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ingest_jsonl.c
                     LIBS mnemo_readers_test_util)
mnemo_add_cunit_test(test_ingest_text SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ingest_text.c
                     LIBS mnemo_readers_test_util)
mnemo_add_cunit_test(test_ingest_inputs SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ingest_inputs.c
                     LIBS mnemo_readers_test_util)

# Fuzz targets of the readers; seeds are written at test time by fuzz_ingest_seeds, built
# once per target. 5 seconds each keeps the readers within their share of the suite's time.
function(mnemo_readers_fuzz kind)
    add_executable(fuzz_ingest_${kind}_seeds ${CMAKE_CURRENT_LIST_DIR}/fuzz_ingest_seeds.c)
    target_compile_definitions(fuzz_ingest_${kind}_seeds PRIVATE MNEMO_SEED_KIND="${kind}")
    target_link_libraries(fuzz_ingest_${kind}_seeds PRIVATE mnemo_common)
    mnemo_add_fuzz_target(fuzz_ingest_${kind}
                          SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_ingest_${kind}.c
                          LIBS mnemo_ingest_readers SEED_GENERATOR fuzz_ingest_${kind}_seeds
                          SECONDS 5)
endfunction()
mnemo_readers_fuzz(jsonl)
mnemo_readers_fuzz(warc)
mnemo_readers_fuzz(html)
mnemo_readers_fuzz(parquet)
mnemo_add_cunit_test(test_ingest_archive SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ingest_archive.c
                     LIBS mnemo_readers_test_util)
mnemo_add_cunit_test(test_ingest_html SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ingest_html.c
                     LIBS mnemo_readers_test_util PkgConfig::JANSSON)
mnemo_add_cunit_test(test_ingest_warc SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ingest_warc.c
                     LIBS mnemo_readers_test_util PkgConfig::JANSSON)
mnemo_add_cunit_test(test_ingest_parquet SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ingest_parquet.c
                     LIBS mnemo_readers_test_util PkgConfig::JANSSON)
