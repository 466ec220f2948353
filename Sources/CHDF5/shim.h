// libhdf5 for Swift: the C API, plus the handful of its constants that are macros
// Swift cannot import (H5P_DEFAULT, H5T_STD_I32LE, ...), as inline functions.
// Compiler and linker flags come from pkg-config `hdf5` (Debian's libhdf5-dev:
// headers in /usr/include/hdf5/serial, library in /usr/lib/x86_64-linux-gnu/hdf5/serial).
#ifndef SWIFTFRAME_CHDF5_SHIM_H
#define SWIFTFRAME_CHDF5_SHIM_H

#include <hdf5.h>

static inline hid_t sfh5_p_default(void) { return H5P_DEFAULT; }
static inline hid_t sfh5_s_all(void) { return H5S_ALL; }
static inline hid_t sfh5_e_default(void) { return H5E_DEFAULT; }
static inline hid_t sfh5_p_file_access(void) { return H5P_FILE_ACCESS; }
static inline haddr_t sfh5_haddr_undef(void) { return HADDR_UNDEF; }
static inline size_t sfh5_t_variable(void) { return H5T_VARIABLE; }
static inline unsigned sfh5_f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned sfh5_f_obj_all(void) { return H5F_OBJ_ALL; }
static inline unsigned sfh5_p_crt_order_indexed(void) { return H5P_CRT_ORDER_INDEXED; }

// File (standard) types, to test a dataset's type for an exact little-endian layout.
static inline hid_t sfh5_t_std_i8le(void) { return H5T_STD_I8LE; }
static inline hid_t sfh5_t_std_i16le(void) { return H5T_STD_I16LE; }
static inline hid_t sfh5_t_std_i32le(void) { return H5T_STD_I32LE; }
static inline hid_t sfh5_t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t sfh5_t_std_u8le(void) { return H5T_STD_U8LE; }
static inline hid_t sfh5_t_std_u16le(void) { return H5T_STD_U16LE; }
static inline hid_t sfh5_t_std_u32le(void) { return H5T_STD_U32LE; }
static inline hid_t sfh5_t_std_u64le(void) { return H5T_STD_U64LE; }
static inline hid_t sfh5_t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t sfh5_t_ieee_f64le(void) { return H5T_IEEE_F64LE; }

// Memory (native) types: H5Dread converts any byte order or precision into these.
static inline hid_t sfh5_t_native_int8(void) { return H5T_NATIVE_INT8; }
static inline hid_t sfh5_t_native_int16(void) { return H5T_NATIVE_INT16; }
static inline hid_t sfh5_t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t sfh5_t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t sfh5_t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t sfh5_t_native_uint16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t sfh5_t_native_uint32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t sfh5_t_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t sfh5_t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t sfh5_t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t sfh5_t_c_s1(void) { return H5T_C_S1; }

#endif
