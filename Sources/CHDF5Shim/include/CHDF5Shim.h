#ifndef C_HDF5_SHIM_H
#define C_HDF5_SHIM_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

// HDF5's type and property-list "constants" are macros that call H5open() and read a global, which
// Swift cannot import. Each is wrapped here as a static inline function.

static inline hid_t tagood_H5T_NATIVE_INT8(void) { return H5T_NATIVE_INT8; }
static inline hid_t tagood_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t tagood_H5T_NATIVE_INT16(void) { return H5T_NATIVE_INT16; }
static inline hid_t tagood_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t tagood_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t tagood_H5T_NATIVE_UINT64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t tagood_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t tagood_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t tagood_H5T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }
static inline hid_t tagood_H5T_STD_I8LE(void) { return H5T_STD_I8LE; }
static inline hid_t tagood_H5T_STD_U8LE(void) { return H5T_STD_U8LE; }
static inline hid_t tagood_H5T_STD_I16LE(void) { return H5T_STD_I16LE; }
static inline hid_t tagood_H5T_STD_I32LE(void) { return H5T_STD_I32LE; }
static inline hid_t tagood_H5T_STD_I64LE(void) { return H5T_STD_I64LE; }
static inline hid_t tagood_H5T_STD_U64LE(void) { return H5T_STD_U64LE; }
static inline hid_t tagood_H5T_IEEE_F64LE(void) { return H5T_IEEE_F64LE; }
static inline hid_t tagood_H5T_C_S1(void) { return H5T_C_S1; }
static inline size_t tagood_H5T_VARIABLE(void) { return H5T_VARIABLE; }

static inline hid_t tagood_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t tagood_H5P_FILE_CREATE(void) { return H5P_FILE_CREATE; }
static inline hid_t tagood_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t tagood_H5P_DATASET_XFER(void) { return H5P_DATASET_XFER; }
static inline hid_t tagood_H5P_DATASET_ACCESS(void) { return H5P_DATASET_ACCESS; }
static inline hid_t tagood_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t tagood_H5S_ALL(void) { return H5S_ALL; }
static inline hsize_t tagood_H5S_UNLIMITED(void) { return H5S_UNLIMITED; }
static inline hid_t tagood_H5E_DEFAULT(void) { return H5E_DEFAULT; }

static inline unsigned tagood_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned tagood_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }
static inline unsigned tagood_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned tagood_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }

/// An IEEE 754 half-precision little-endian float type (HDF5 1.10 has none built in). h5py reads it
/// as numpy float16. The caller closes it with H5Tclose.
static inline hid_t tagood_make_float16_type(void) {
    hid_t t = H5Tcopy(H5T_IEEE_F32LE);
    if (t < 0) return t;
    if (H5Tset_fields(t, 15, 10, 5, 0, 10) < 0 || H5Tset_size(t, 2) < 0 || H5Tset_ebias(t, 15) < 0 ||
        H5Tset_precision(t, 16) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/// Asks the kernel to start writing an open file's dirty pages to the disk without waiting for them
/// (`sync_file_range` with SYNC_FILE_RANGE_WRITE on the POSIX driver's descriptor). Not a durability
/// point: the caller still fsyncs. Returns 0, or -1 when the file has no descriptor or the call failed.
int tagood_start_writeback(hid_t file);

/// Turns HDF5's automatic error printing off for the default error stack.
static inline herr_t tagood_silence_hdf5_errors(void) { return H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/// Collects the messages of the current default error stack into `buffer` (newest last, "; "-separated),
/// then clears the stack.
void tagood_hdf5_error_message(char *buffer, size_t capacity);

/// A variable-length, NUL-terminated UTF-8 string type (h5py reads it as `str`). The caller closes it
/// with H5Tclose.
static inline hid_t tagood_make_utf8_string_type(void) {
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) return t;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0 ||
        H5Tset_strpad(t, H5T_STR_NULLTERM) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/// 1 when the linked HDF5 library was built thread-safe (one global lock around every API call), 0 when
/// not, -1 when the library cannot say.
static inline int tagood_hdf5_is_threadsafe(void) {
    hbool_t ts = 0;
    if (H5is_library_threadsafe(&ts) < 0) return -1;
    return ts ? 1 : 0;
}

// MARK: float16 conversion (IEEE 754 binary16 bits in uint16_t, round to nearest even, like numpy).

/// Converts `count` floats to binary16 bits. Uses the F16C instructions when the CPU has them.
void tagood_f32_to_f16(const float *source, uint16_t *destination, size_t count);
/// Converts `count` binary16 values to floats (exact). Uses F16C when the CPU has it.
void tagood_f16_to_f32(const uint16_t *source, float *destination, size_t count);
/// Adds `count` rows of `width` values (binary16 bits, or floats) into `sum` (`width` doubles), row by
/// row in order, each value widened exactly: the column sums the reducer's features start from.
void tagood_f16_rows_add_f64(const uint16_t *rows, size_t count, size_t width, double *sum);
void tagood_f32_rows_add_f64(const float *rows, size_t count, size_t width, double *sum);
/// The portable (non-SIMD) paths of the two conversions above, exposed so tests can check both.
void tagood_f32_to_f16_portable(const float *source, uint16_t *destination, size_t count);
void tagood_f16_to_f32_portable(const uint16_t *source, float *destination, size_t count);

#endif
