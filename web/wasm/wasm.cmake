# web/wasm/wasm.cmake - RepRight's analysis core (src/analysis) compiled to WebAssembly with
# Debian's emscripten, for the live coach page (docs/internals/wasm.md). Included by
# web/CMakeLists.txt; sets RR_WEB_WASM_OUT to the two outputs:
#   ${RR_WEB_OUT}/wasm/rr_analysis.js    ES module factory (MODULARIZE + EXPORT_ES6)
#   ${RR_WEB_OUT}/wasm/rr_analysis.wasm
# emcc is called directly by a custom command: none of the native compile options (sanitizers,
# coverage, -Werror lists, definitions) reach it; only the flags below. No -ffast-math: results
# must match the native build. Without emcc: a WARNING and RR_WEB_WASM_OUT stays empty.
find_program(RR_EMCC NAMES emcc PATHS /usr/bin /usr/lib/emscripten)
set(RR_WEB_WASM_OUT "")
if(NOT RR_EMCC)
  message(WARNING "web: emcc (emscripten) not found: the WASM analysis core for the live page is "
                  "not built (scripts/setup.sh installs it; tests/web/test_wasm_parity will fail)")
  return()
endif()

set(RR_WASM_DIR "${RR_WEB_OUT}/wasm")
file(GLOB RR_WASM_SRCS CONFIGURE_DEPENDS
     "${CMAKE_SOURCE_DIR}/src/analysis/*.c" "${CMAKE_SOURCE_DIR}/src/analysis/exercises/*.c")
file(GLOB RR_WASM_HDRS CONFIGURE_DEPENDS
     "${CMAKE_SOURCE_DIR}/src/analysis/*.h" "${CMAKE_SOURCE_DIR}/src/base/*.h")
list(APPEND RR_WASM_SRCS "${CMAKE_SOURCE_DIR}/src/base/rr_error.c"
     "${CMAKE_SOURCE_DIR}/src/base/rr_landmarks.c" "${CMAKE_SOURCE_DIR}/src/base/rr_buf.c"
     "${CMAKE_SOURCE_DIR}/src/base/rr_json.c" "${CMAKE_CURRENT_LIST_DIR}/rr_wasm.c"
     "${CMAKE_CURRENT_LIST_DIR}/rr_qsort.c")  # replaces musl's slower qsort (see the file)
set(RR_WASM_EXPORTS "_malloc,_free,_rr_wasm_frame_floats,_rr_wasm_last_error,_rr_wasm_exercises,\
_rr_wasm_live_new,_rr_wasm_live_push,_rr_wasm_live_report,_rr_wasm_live_free,_rr_wasm_analyze")
set(RR_WASM_FLAGS -std=c11 -O2 -Wall -Wextra -Wshadow -Wvla -Wstrict-prototypes
    -Wmissing-prototypes "-I${CMAKE_SOURCE_DIR}/src"
    -sMODULARIZE=1 -sEXPORT_ES6=1 -sENVIRONMENT=web -sALLOW_MEMORY_GROWTH=1
    -sEXPORT_NAME=createRrAnalysis -sFILESYSTEM=0
    "-sEXPORTED_FUNCTIONS=${RR_WASM_EXPORTS}"
    "-sEXPORTED_RUNTIME_METHODS=UTF8ToString,stringToUTF8,lengthBytesUTF8")
if(RR_WERROR)
  list(APPEND RR_WASM_FLAGS -Werror)
endif()

add_custom_command(
  OUTPUT "${RR_WASM_DIR}/rr_analysis.js" "${RR_WASM_DIR}/rr_analysis.wasm"
  COMMAND ${CMAKE_COMMAND} -E make_directory "${RR_WASM_DIR}"
  COMMAND ${CMAKE_COMMAND} -E env NODE_PATH=/usr/share/nodejs
          ${RR_EMCC} ${RR_WASM_FLAGS} ${RR_WASM_SRCS} -o "${RR_WASM_DIR}/rr_analysis.js"
  DEPENDS ${RR_WASM_SRCS} ${RR_WASM_HDRS} "${CMAKE_CURRENT_LIST_FILE}"
  COMMENT "web: compiling the analysis core to WebAssembly (emcc)"
  VERBATIM)
set(RR_WEB_WASM_OUT "${RR_WASM_DIR}/rr_analysis.js" "${RR_WASM_DIR}/rr_analysis.wasm")
