# Benchmark of the input readers (docs/benchmarks.md, "## Ingest"): reader MB/s on one core for
# jsonl.zst and parquet against `zstd -dc | jq` and parquet-wasm under Node.js.
#   build/bench/ingest/bench_ingest_readers --dir /tmp/bench-readers --size 256M
add_executable(bench_ingest_readers ${CMAKE_CURRENT_LIST_DIR}/bench_readers.c)
target_link_libraries(bench_ingest_readers PRIVATE mnemo_ingest_readers)
target_compile_definitions(bench_ingest_readers PRIVATE
    MNEMO_BENCH_NPM_DIR="${MNEMO_NPM_DIR}" MNEMO_BENCH_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
