// The baseline copy of the kernels (kernels_body.inc; every CPU runs it).
#define VARIANT(name) name##_baseline
#include "kernels_body.inc"
