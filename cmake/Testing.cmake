# Test registration helpers (see docs/testing.md).
#
#   mnemo_add_cunit_test(NAME SOURCES ... LIBS ... [LABELS ...] [TIMEOUT s])
#       one CUnit executable, one ctest entry.
#   mnemo_add_mpi_test(NAME SOURCES ... LIBS ... [RANKS 1 2 4] [LABELS ...] [TIMEOUT s])
#       one CUnit executable run under mpiexec, one ctest entry NAME.npN per rank count.
#   mnemo_add_script_test(NAME COMMAND ... [LABELS ...] [TIMEOUT s] [DEPENDS targets])
#       any command (shell, Python, Node.js) with the test environment.
#   mnemo_add_fuzz_target(NAME SOURCES ... LIBS ... [SEED_GENERATOR target] [SECONDS s])
#       an LLVMFuzzerTestOneInput target: libFuzzer when the compiler is clang and the
#       build is sanitized, otherwise tests/harness/fuzz_driver.c (seeds + seeded mutations).

set(MNEMO_TEST_TIMEOUT 300 CACHE STRING "Default per-test timeout in seconds")
set(MNEMO_FUZZ_SECONDS 10 CACHE STRING "Seconds each fuzz target runs in the suite")
set(MNEMO_TEST_TMPDIR ${CMAKE_BINARY_DIR}/test-tmp)
set(MNEMO_NPM_DIR "" CACHE PATH "Folder whose node_modules holds the npm reference tools (test.sh sets it)")

if(MNEMO_SANITIZE AND CMAKE_C_COMPILER_ID MATCHES "Clang")
    set(MNEMO_LIBFUZZER ON)
    # Coverage instrumentation everywhere, so libFuzzer sees inside our libraries.
    add_compile_options(-fsanitize=fuzzer-no-link)
else()
    set(MNEMO_LIBFUZZER OFF)
endif()

# Open MPI and its helpers keep a few allocations until exit; only those are suppressed.
set(MNEMO_TEST_ENV
    "OMPI_ALLOW_RUN_AS_ROOT=1"
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
    "OMPI_MCA_rmaps_base_oversubscribe=1"
    "OMPI_MCA_btl_vader_single_copy_mechanism=none"
    # Keep MCA plugins loaded at exit so leak reports from them resolve and are suppressed.
    "OMPI_MCA_mca_base_component_disable_dlclose=1"
    "MNEMO_TEST_TMPDIR=${MNEMO_TEST_TMPDIR}"
    "MNEMO_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
    "MNEMO_BUILD_DIR=${CMAKE_BINARY_DIR}"
    "MNEMO_MPIEXEC=${MPIEXEC_PROGRAM}"
    "MNEMO_BIN_DIR=${CMAKE_BINARY_DIR}/bin"
    "MNEMO_NODE_MODULES=${MNEMO_NPM_DIR}/node_modules"
    "ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
    "LSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/lsan.supp:print_suppressions=0"
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
if(MNEMO_SANITIZE)
    list(APPEND MNEMO_TEST_ENV "MNEMO_SANITIZED=1")
endif()
# Under mpirun, Open MPI's own leaks are only recognisable (and suppressed) with full
# unwinding through its libraries, which is slower; so only MPI and script tests use it.
set(MNEMO_TEST_ENV_MPI ${MNEMO_TEST_ENV})
list(TRANSFORM MNEMO_TEST_ENV_MPI REPLACE "^ASAN_OPTIONS=(.*)$"
     "ASAN_OPTIONS=\\1:fast_unwind_on_malloc=0")

function(_mnemo_test_properties test)
    cmake_parse_arguments(P "MPI" "TIMEOUT" "LABELS" ${ARGN})
    if(NOT P_TIMEOUT)
        set(P_TIMEOUT ${MNEMO_TEST_TIMEOUT})
    endif()
    if(P_MPI)
        set(env ${MNEMO_TEST_ENV_MPI})
    else()
        set(env ${MNEMO_TEST_ENV})
    endif()
    set_tests_properties(${test} PROPERTIES ENVIRONMENT "${env}" TIMEOUT ${P_TIMEOUT}
                         LABELS "${P_LABELS}")
endfunction()

function(mnemo_add_cunit_test name)
    cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
    add_executable(${name} ${T_SOURCES})
    target_link_libraries(${name} PRIVATE mnemo_test_harness ${T_LIBS})
    add_test(NAME ${name} COMMAND ${name})
    _mnemo_test_properties(${name} TIMEOUT "${T_TIMEOUT}" LABELS unit ${T_LABELS})
endfunction()

function(mnemo_add_mpi_test name)
    cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS;RANKS" ${ARGN})
    if(NOT T_RANKS)
        set(T_RANKS 1 2 4)
    endif()
    add_executable(${name} ${T_SOURCES})
    target_link_libraries(${name} PRIVATE mnemo_test_harness ${T_LIBS})
    foreach(ranks ${T_RANKS})
        add_test(NAME ${name}.np${ranks}
                 COMMAND ${MPIEXEC_PROGRAM} --oversubscribe -np ${ranks} $<TARGET_FILE:${name}>)
        _mnemo_test_properties(${name}.np${ranks} MPI TIMEOUT "${T_TIMEOUT}"
                               LABELS mpi ${T_LABELS})
    endforeach()
endfunction()

function(mnemo_add_script_test name)
    cmake_parse_arguments(T "" "TIMEOUT;WORKING_DIRECTORY" "COMMAND;LABELS" ${ARGN})
    if(NOT T_WORKING_DIRECTORY)
        set(T_WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
    endif()
    add_test(NAME ${name} COMMAND ${T_COMMAND} WORKING_DIRECTORY ${T_WORKING_DIRECTORY})
    _mnemo_test_properties(${name} MPI TIMEOUT "${T_TIMEOUT}" LABELS script ${T_LABELS})
endfunction()

function(mnemo_add_fuzz_target name)
    cmake_parse_arguments(T "" "SECONDS;SEED_GENERATOR" "SOURCES;LIBS" ${ARGN})
    if(NOT T_SECONDS)
        set(T_SECONDS ${MNEMO_FUZZ_SECONDS})
    endif()
    set(seeds ${MNEMO_TEST_TMPDIR}/fuzz/${name}/seeds)
    set(corpus ${MNEMO_TEST_TMPDIR}/fuzz/${name}/corpus)
    add_executable(${name} ${T_SOURCES})
    target_link_libraries(${name} PRIVATE ${T_LIBS})
    if(MNEMO_LIBFUZZER)
        target_link_options(${name} PRIVATE -fsanitize=fuzzer)
        set(command $<TARGET_FILE:${name}>
            -max_total_time=${T_SECONDS} -rss_limit_mb=2048 -timeout=20 -print_final_stats=1
            -artifact_prefix=${MNEMO_TEST_TMPDIR}/fuzz/${name}/ ${corpus} ${seeds})
    else()
        target_link_libraries(${name} PRIVATE mnemo_fuzz_driver)
        set(command $<TARGET_FILE:${name}> --seconds ${T_SECONDS}
            --artifact-dir ${MNEMO_TEST_TMPDIR}/fuzz/${name} ${seeds})
    endif()
    add_test(NAME ${name}.seeds COMMAND ${CMAKE_COMMAND} -E make_directory ${seeds} ${corpus})
    set_tests_properties(${name}.seeds PROPERTIES FIXTURES_SETUP ${name}.fixture)
    if(T_SEED_GENERATOR)
        add_test(NAME ${name}.generate COMMAND ${T_SEED_GENERATOR} ${seeds})
        set_tests_properties(${name}.generate PROPERTIES FIXTURES_SETUP ${name}.fixture
                             DEPENDS ${name}.seeds ENVIRONMENT "${MNEMO_TEST_ENV}")
    endif()
    add_test(NAME ${name} COMMAND ${command})
    set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED ${name}.fixture)
    math(EXPR timeout "${T_SECONDS} * 3 + 60")
    _mnemo_test_properties(${name} TIMEOUT ${timeout} LABELS fuzz)
endfunction()
