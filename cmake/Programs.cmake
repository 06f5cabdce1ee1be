# mnemo_add_program(NAME SOURCES ... LIBS ...): a user-facing executable, built into
# build/bin/ (where quickstart.sh, the tests and mnemo-launch find it) and installed.
function(mnemo_add_program name)
    cmake_parse_arguments(P "" "" "SOURCES;LIBS" ${ARGN})
    add_executable(${name} ${P_SOURCES})
    target_link_libraries(${name} PRIVATE ${P_LIBS})
    set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
    install(TARGETS ${name} RUNTIME DESTINATION bin)
endfunction()
