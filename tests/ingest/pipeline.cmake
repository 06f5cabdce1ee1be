# Tests of the ingestion pipeline (the readers' tests are in readers.cmake).
set(dir ${CMAKE_CURRENT_LIST_DIR})
mnemo_add_cunit_test(test_ingest_normalize SOURCES ${dir}/test_normalize.c LIBS mnemo_ingest_text)
mnemo_add_cunit_test(test_ingest_filters SOURCES ${dir}/test_filters.c LIBS mnemo_ingest_text)
mnemo_add_cunit_test(test_ingest_minhash SOURCES ${dir}/test_minhash.c LIBS mnemo_ingest_text)
mnemo_add_cunit_test(test_ingest_work SOURCES ${dir}/test_work.c LIBS mnemo_ingest_core)
mnemo_add_mpi_test(test_ingest_dedup_mpi SOURCES ${dir}/test_dedup_mpi.c
                   LIBS mnemo_ingest_core mnemo_ingest_text)
