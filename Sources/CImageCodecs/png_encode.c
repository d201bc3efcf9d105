/* PNG encoding of 8-bit RGB through libpng, into memory, with setjmp/longjmp error recovery. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <png.h>

#include "CImageCodecs.h"

struct tg_png_writer {
    unsigned char *data;
    size_t size;
    size_t capacity;
    int no_memory;
    char message[200];
};

static void tg_png_write(png_structp png, png_bytep bytes, png_size_t length) {
    struct tg_png_writer *w = png_get_io_ptr(png);
    if (w->size + length > w->capacity) {
        size_t capacity = w->capacity ? w->capacity : 4096;
        while (capacity < w->size + length) capacity *= 2;
        unsigned char *grown = realloc(w->data, capacity);
        if (!grown) {
            w->no_memory = 1;
            png_error(png, "out of memory");
        }
        w->data = grown;
        w->capacity = capacity;
    }
    memcpy(w->data + w->size, bytes, length);
    w->size += length;
}

static void tg_png_flush(png_structp png) { (void)png; }

static void tg_png_write_error(png_structp png, png_const_charp message) {
    struct tg_png_writer *w = png_get_error_ptr(png);
    snprintf(w->message, sizeof(w->message), "%s", message ? message : "libpng error");
    png_longjmp(png, 1);
}

static void tg_png_write_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

int tg_png_encode_rgb(const unsigned char *pixels, int width, int height, int compression_level,
                      unsigned char **out, size_t *out_size, tg_status *status) {
    if (status) { status->code = TG_OK; status->warnings = 0; status->message[0] = 0; }
    if (!pixels || !out || !out_size || width <= 0 || height <= 0) {
        if (status) {
            status->code = TG_ERR_USAGE;
            snprintf(status->message, sizeof(status->message), "tg_png_encode_rgb: bad arguments");
        }
        return TG_ERR_USAGE;
    }
    *out = NULL;
    *out_size = 0;
    struct tg_png_writer writer;
    memset(&writer, 0, sizeof(writer));
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &writer, tg_png_write_error,
                                              tg_png_write_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        if (png) png_destroy_write_struct(&png, NULL);
        if (status) {
            status->code = TG_ERR_NO_MEMORY;
            snprintf(status->message, sizeof(status->message), "cannot create the libpng writer");
        }
        return TG_ERR_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        int code = writer.no_memory ? TG_ERR_NO_MEMORY : TG_ERR_CORRUPT;
        png_destroy_write_struct(&png, &info);
        free(writer.data);
        if (status) {
            status->code = code;
            snprintf(status->message, sizeof(status->message), "%s", writer.message);
        }
        return code;
    }
    png_set_write_fn(png, &writer, tg_png_write, tg_png_flush);
    if (compression_level >= 0 && compression_level <= 9) png_set_compression_level(png, compression_level);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    size_t stride = (size_t)width * 3;
    for (int y = 0; y < height; y++) {
        png_write_row(png, (png_const_bytep)(pixels + stride * (size_t)y));
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    *out = writer.data;
    *out_size = writer.size;
    return TG_OK;
}
