#ifndef C_IMAGE_CODECS_H
#define C_IMAGE_CODECS_H

/*
 * CImageCodecs: every libjpeg / libpng call that can fail, behind setjmp/longjmp error recovery.
 *
 * Swift cannot use setjmp, so the decoders here own the library state and report failures as a
 * status code plus a message. Decoding is two-phase so that the caller can refuse an image from its
 * header alone (pixel limit) before any pixel buffer is allocated:
 *
 *     h = tg_jpeg_open(data, size, &info, &status);     // header only
 *     ... check info.width * info.height, allocate width*height*3 bytes ...
 *     tg_jpeg_decode_rgb(h, out, out_size, &status);     // pixels, converted to 8-bit RGB
 *     tg_jpeg_close(h);
 *
 * `data` must stay valid and unchanged from open to close. The RGB output is what Pillow's
 * `Image.open(p).convert("RGB")` gives (see the .c file for each colour type).
 */

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Status codes. */
enum {
    TG_OK = 0,
    /** The data is malformed (a hard libjpeg / libpng error). */
    TG_ERR_CORRUPT = 1,
    /** The data ends before the image does. */
    TG_ERR_TRUNCATED = 2,
    /** A valid file in a variant this decoder does not handle (12-bit JPEG, 2-channel JPEG...). */
    TG_ERR_UNSUPPORTED = 3,
    /** An allocation failed. */
    TG_ERR_NO_MEMORY = 4,
    /** A caller error: wrong buffer size, call out of order. */
    TG_ERR_USAGE = 5,
};

/** The outcome of a call: `code` is one of the TG_* values; `message` says why (NUL-terminated). */
typedef struct tg_status {
    int code;
    /** Number of non-fatal warnings the library emitted (ignored, as Pillow ignores them). */
    int warnings;
    char message[240];
} tg_status;

/** JPEG colour spaces as found in the file. */
enum {
    TG_JPEG_GRAY = 1,
    TG_JPEG_RGB = 2,
    TG_JPEG_YCBCR = 3,
    TG_JPEG_CMYK = 4,
    TG_JPEG_YCCK = 5,
    TG_JPEG_OTHER = 0,
};

/** What a JPEG header says. */
typedef struct tg_jpeg_info {
    int width;
    int height;
    int components;
    int color_space;   /* TG_JPEG_* */
    int progressive;
    int precision;     /* bits per sample */
    int saw_adobe;     /* an Adobe APP14 marker was present */
} tg_jpeg_info;

typedef struct tg_jpeg tg_jpeg;

/** Reads the header of the JPEG in `data[0..<size]`. Returns NULL (and sets `status`) on failure. */
tg_jpeg *tg_jpeg_open(const unsigned char *data, size_t size, tg_jpeg_info *info, tg_status *status);

/** Decodes the whole image into `out` (width*height*3 bytes, interleaved RGB, rows top to bottom).
 *  A premature end of data is a TG_ERR_TRUNCATED error. Returns the status code. */
int tg_jpeg_decode_rgb(tg_jpeg *jpeg, unsigned char *out, size_t out_size, tg_status *status);

/** Frees the decoder. Accepts NULL. */
void tg_jpeg_close(tg_jpeg *jpeg);

/** PNG colour types (the IHDR values). */
enum {
    TG_PNG_GRAY = 0,
    TG_PNG_RGB = 2,
    TG_PNG_PALETTE = 3,
    TG_PNG_GRAY_ALPHA = 4,
    TG_PNG_RGBA = 6,
};

/** What a PNG header says. */
typedef struct tg_png_info {
    int width;
    int height;
    int bit_depth;
    int color_type;    /* TG_PNG_* */
    int interlaced;
    int has_trns;
    int palette_size;
} tg_png_info;

typedef struct tg_png tg_png;

/** Reads the signature and the chunks up to the first IDAT. Returns NULL (and sets `status`) on failure. */
tg_png *tg_png_open(const unsigned char *data, size_t size, tg_png_info *info, tg_status *status);

/** Decodes the whole image into `out` (width*height*3 bytes, interleaved RGB). Returns the status code. */
int tg_png_decode_rgb(tg_png *png, unsigned char *out, size_t out_size, tg_status *status);

/** Frees the decoder. Accepts NULL. */
void tg_png_close(tg_png *png);

/** Encodes 8-bit interleaved RGB as a PNG. On success `*out` is a malloc'd buffer of `*out_size`
 *  bytes that the caller frees with tg_free. Returns the status code. */
int tg_png_encode_rgb(const unsigned char *pixels, int width, int height, int compression_level,
                      unsigned char **out, size_t *out_size, tg_status *status);

/** Frees a buffer returned by this module. */
void tg_free(void *pointer);

/** Encodes 8-bit interleaved RGB (`width*height*3` bytes, rows top to bottom) as a baseline JFIF JPEG
 *  with libjpeg's standard tables scaled to `quality` (1...100), 4:2:0 chroma and the integer DCT.
 *  On success `*out` is a malloc'd buffer of `*out_size` bytes that the caller frees with tg_free.
 *  A bad size or quality is TG_ERR_USAGE. Returns the status code. */
int tg_jpeg_encode_rgb(const unsigned char *pixels, int width, int height, int quality,
                       unsigned char **out, size_t *out_size, tg_status *status);

#ifdef __cplusplus
}
#endif

#endif
