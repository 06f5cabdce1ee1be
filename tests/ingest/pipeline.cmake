# Tests of the ingestion pipeline (the readers' tests are in readers.cmake).
set(dir ${CMAKE_CURRENT_LIST_DIR})
mnemo_add_cunit_test(test_ingest_normalize SOURCES ${dir}/test_normalize.c LIBS mnemo_ingest_text)
mnemo_add_cunit_test(test_ingest_filters SOURCES ${dir}/test_filters.c LIBS mnemo_ingest_text)
mnemo_add_cunit_test(test_ingest_minhash SOURCES ${dir}/test_minhash.c LIBS mnemo_ingest_text)
mnemo_add_cunit_test(test_ingest_work SOURCES ${dir}/test_work.c LIBS mnemo_ingest_core)
mnemo_add_mpi_test(test_ingest_dedup_mpi SOURCES ${dir}/test_dedup_mpi.c
                   LIBS mnemo_ingest_core mnemo_ingest_text)
if(TARGET mnemo_ingest)
    # The synthetic corpus (corpus.h), as a library for tests and a program for scripts.
    add_library(mnemo_ingest_corpus STATIC ${dir}/corpus.c)
    target_link_libraries(mnemo_ingest_corpus PUBLIC mnemo_common PkgConfig::ZSTD)
    target_include_directories(mnemo_ingest_corpus PUBLIC ${dir})
    add_executable(ingest_corpus ${dir}/corpus_main.c)
    target_link_libraries(ingest_corpus PRIVATE mnemo_ingest_corpus)
    mnemo_add_mpi_test(test_ingest_pipeline_mpi SOURCES ${dir}/test_pipeline_mpi.c
                       LIBS mnemo_ingest mnemo_ingest_corpus TIMEOUT 600)
endif()
if(TARGET mnemo-ingest)
    mnemo_add_script_test(test_ingest_resume
        COMMAND bash ${dir}/test_ingest_resume.sh $<TARGET_FILE:ingest_corpus> TIMEOUT 300)
    set_tests_properties(test_ingest_resume PROPERTIES ENVIRONMENT_MODIFICATION
                         "MNEMO_PROGRESS_INTERVAL=set:1")
    # Options and messages of the program, whose library the MPI tests run under the
    # sanitizers: like the cluster scripts, the sanitizer pass skips it (label nosanitize).
    mnemo_add_script_test(test_ingest_cli
        COMMAND bash ${dir}/test_ingest_cli.sh $<TARGET_FILE:ingest_corpus> TIMEOUT 120
        LABELS nosanitize)
endif()

# Fuzz targets of the pipeline's parsers of untrusted bytes: raw text through normalisation,
# filters and MinHash; and its own work files (damaged by a crash or a full disk).
add_executable(fuzz_ingest_textclean_seeds ${dir}/fuzz_pipeline_seeds.c)
target_compile_definitions(fuzz_ingest_textclean_seeds PRIVATE MNEMO_SEED_KIND="text")
target_link_libraries(fuzz_ingest_textclean_seeds PRIVATE mnemo_ingest_core)
mnemo_add_fuzz_target(fuzz_ingest_textclean SOURCES ${dir}/fuzz_ingest_textclean.c
                      LIBS mnemo_ingest_text SEED_GENERATOR fuzz_ingest_textclean_seeds)
add_executable(fuzz_ingest_workfile_seeds ${dir}/fuzz_pipeline_seeds.c)
target_compile_definitions(fuzz_ingest_workfile_seeds PRIVATE MNEMO_SEED_KIND="work")
target_link_libraries(fuzz_ingest_workfile_seeds PRIVATE mnemo_ingest_core)
mnemo_add_fuzz_target(fuzz_ingest_workfile SOURCES ${dir}/fuzz_ingest_workfile.c
                      LIBS mnemo_ingest_core SEED_GENERATOR fuzz_ingest_workfile_seeds)
