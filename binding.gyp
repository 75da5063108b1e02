{
  "targets": [
    {
      "target_name": "attnscope_kernels",
      "sources": [
        "runtime/kernels/native/binding.cc",
        "runtime/kernels/native/fma_peak.cc",
        "<!@(node runtime/kernels/native/sources.cjs)"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "cflags": ["-O3", "-ffp-contract=fast", "-fno-strict-aliasing", "-fvisibility=hidden"],
      "cflags_c": ["-std=gnu11"],
      "cflags_cc": ["-std=c++17", "-fexceptions"],
      "defines": ["NAPI_VERSION=8"],
      "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "OTHER_CFLAGS": ["-O3"] },
      "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1 } }
    }
  ]
}
