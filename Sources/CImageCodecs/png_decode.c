/* PNG decoding through libpng, with setjmp/longjmp error recovery. Converts every colour type to
 * 8-bit RGB the way Pillow's Image.open(p).convert("RGB") does (alpha dropped, not composited). */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <png.h>

#include "CImageCodecs.h"

struct tg_png {
    png_structp png;
    png_infop info;
    const unsigned char *data;
    size_t size;
    size_t pos;
    int eof;
    int warnings;
    int decoded;
    unsigned char *raw; /* row buffer, or the whole image when interlaced; freed by close */
    unsigned char palette[256 * 3];
    char message[200];
};

static void tg_png_read(png_structp png, png_bytep out, png_size_t length) {
    struct tg_png *h = png_get_io_ptr(png);
    if (h->size - h->pos < length) {
        h->eof = 1;
        png_error(png, "unexpected end of file");
    }
    memcpy(out, h->data + h->pos, length);
    h->pos += length;
}

static void tg_png_error(png_structp png, png_const_charp message) {
    struct tg_png *h = png_get_error_ptr(png);
    snprintf(h->message, sizeof(h->message), "%s", message ? message : "libpng error");
    png_longjmp(png, 1);
}

static void tg_png_warning(png_structp png, png_const_charp message) {
    (void)message;
    struct tg_png *h = png_get_error_ptr(png);
    h->warnings++;
}

static void tg_png_set_status(tg_status *status, int code, const char *message, int warnings) {
    if (!status) return;
    status->code = code;
    status->warnings = warnings;
    snprintf(status->message, sizeof(status->message), "%s", message ? message : "");
}

static int tg_png_fail(struct tg_png *h, tg_status *status) {
    int code = h->eof ? TG_ERR_TRUNCATED : TG_ERR_CORRUPT;
    if (!h->eof && strstr(h->message, "Not enough image data") != NULL) code = TG_ERR_TRUNCATED;
    if (!h->eof && strstr(h->message, "out of memory") != NULL) code = TG_ERR_NO_MEMORY;
    tg_png_set_status(status, code, h->message, h->warnings);
    return code;
}

void tg_png_close(tg_png *h) {
    if (!h) return;
    if (h->png) png_destroy_read_struct(&h->png, h->info ? &h->info : NULL, NULL);
    free(h->raw);
    free(h);
}

tg_png *tg_png_open(const unsigned char *data, size_t size, tg_png_info *info, tg_status *status) {
    tg_png_set_status(status, TG_OK, "", 0);
    if (size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        tg_png_set_status(status, size < 8 ? TG_ERR_TRUNCATED : TG_ERR_CORRUPT, "not a PNG signature", 0);
        return NULL;
    }
    struct tg_png *h = calloc(1, sizeof(struct tg_png));
    if (!h) {
        tg_png_set_status(status, TG_ERR_NO_MEMORY, "out of memory", 0);
        return NULL;
    }
    h->data = data;
    h->size = size;
    h->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, h, tg_png_error, tg_png_warning);
    if (!h->png) {
        free(h);
        tg_png_set_status(status, TG_ERR_NO_MEMORY, "cannot create the libpng reader", 0);
        return NULL;
    }
    h->info = png_create_info_struct(h->png);
    if (!h->info) {
        tg_png_close(h);
        tg_png_set_status(status, TG_ERR_NO_MEMORY, "cannot create the libpng info", 0);
        return NULL;
    }
    if (setjmp(png_jmpbuf(h->png))) {
        tg_png_fail(h, status);
        tg_png_close(h);
        return NULL;
    }
    png_set_read_fn(h->png, h, tg_png_read);
    /* The caller's pixel limit is the one that applies, not libpng's default 1e6 x 1e6. */
    png_set_user_limits(h->png, 0x7fffffff, 0x7fffffff);
    png_read_info(h->png, h->info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(h->png, h->info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    memset(h->palette, 0, sizeof(h->palette)); /* Pillow maps indices past the palette to black */
    int palette_size = 0;
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_colorp palette = NULL;
        if (png_get_PLTE(h->png, h->info, &palette, &palette_size) & PNG_INFO_PLTE) {
            for (int i = 0; i < palette_size && i < 256; i++) {
                h->palette[i * 3 + 0] = palette[i].red;
                h->palette[i * 3 + 1] = palette[i].green;
                h->palette[i * 3 + 2] = palette[i].blue;
            }
        }
    }
    if (info) {
        info->width = (int)width;
        info->height = (int)height;
        info->bit_depth = bit_depth;
        info->color_type = color_type;
        info->interlaced = interlace != PNG_INTERLACE_NONE;
        info->has_trns = png_get_valid(h->png, h->info, PNG_INFO_tRNS) ? 1 : 0;
        info->palette_size = palette_size;
    }
    if (status) status->warnings = h->warnings;
    return h;
}

/* One decoded row (after png_set_packing: one byte per sample below 8 bits; 16-bit samples stay
 * big-endian) to 8-bit RGB, as Pillow's rawmodes and convert("RGB") do it. */
static void tg_png_row_to_rgb(const struct tg_png *h, int color_type, int bit_depth,
                              const unsigned char *in, unsigned char *out, int width) {
    int x;
    switch (color_type) {
        case PNG_COLOR_TYPE_GRAY:
            if (bit_depth == 16) {
                /* "I;16" -> "RGB" clips to 255 */
                for (x = 0; x < width; x++, in += 2, out += 3) {
                    int v = (in[0] << 8) | in[1];
                    unsigned char g = v > 255 ? 255 : (unsigned char)v;
                    out[0] = out[1] = out[2] = g;
                }
            } else {
                int scale = bit_depth == 1 ? 255 : bit_depth == 2 ? 85 : bit_depth == 4 ? 17 : 1;
                for (x = 0; x < width; x++, in++, out += 3) {
                    unsigned char g = (unsigned char)(in[0] * scale);
                    out[0] = out[1] = out[2] = g;
                }
            }
            break;
        case PNG_COLOR_TYPE_GRAY_ALPHA: {
            int step = bit_depth == 16 ? 4 : 2; /* "LA;16B": the high byte */
            for (x = 0; x < width; x++, in += step, out += 3) {
                out[0] = out[1] = out[2] = in[0];
            }
            break;
        }
        case PNG_COLOR_TYPE_RGB:
            if (bit_depth == 16) {
                for (x = 0; x < width; x++, in += 6, out += 3) {
                    out[0] = in[0]; out[1] = in[2]; out[2] = in[4];
                }
            } else {
                memcpy(out, in, (size_t)width * 3);
            }
            break;
        case PNG_COLOR_TYPE_RGB_ALPHA: {
            int s = bit_depth == 16 ? 2 : 1;
            for (x = 0; x < width; x++, in += 4 * s, out += 3) {
                out[0] = in[0]; out[1] = in[s]; out[2] = in[2 * s];
            }
            break;
        }
        case PNG_COLOR_TYPE_PALETTE:
            for (x = 0; x < width; x++, in++, out += 3) {
                const unsigned char *p = &h->palette[in[0] * 3];
                out[0] = p[0]; out[1] = p[1]; out[2] = p[2];
            }
            break;
    }
}

int tg_png_decode_rgb(tg_png *h, unsigned char *out, size_t out_size, tg_status *status) {
    tg_png_set_status(status, TG_OK, "", 0);
    if (!h || !out || h->decoded) {
        tg_png_set_status(status, TG_ERR_USAGE, "tg_png_decode_rgb: no decoder, no buffer, or called twice", 0);
        return TG_ERR_USAGE;
    }
    h->decoded = 1;
    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(h->png, h->info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    if ((size_t)width * (size_t)height * 3 != out_size) {
        tg_png_set_status(status, TG_ERR_USAGE, "tg_png_decode_rgb: output buffer has the wrong size", 0);
        return TG_ERR_USAGE;
    }
    if (setjmp(png_jmpbuf(h->png))) {
        return tg_png_fail(h, status);
    }
    if (bit_depth < 8) png_set_packing(h->png);
    int passes = png_set_interlace_handling(h->png);
    png_read_update_info(h->png, h->info);
    size_t rowbytes = png_get_rowbytes(h->png, h->info);
    size_t stride = (size_t)width * 3;
    if (passes > 1) {
        if (rowbytes != 0 && height > (size_t)-1 / rowbytes) {
            tg_png_set_status(status, TG_ERR_NO_MEMORY, "image too large", h->warnings);
            return TG_ERR_NO_MEMORY;
        }
        h->raw = malloc(rowbytes * height);
        if (!h->raw) {
            tg_png_set_status(status, TG_ERR_NO_MEMORY, "out of memory", h->warnings);
            return TG_ERR_NO_MEMORY;
        }
        for (int pass = 0; pass < passes; pass++) {
            for (png_uint_32 y = 0; y < height; y++) {
                png_read_row(h->png, h->raw + rowbytes * y, NULL);
            }
        }
        for (png_uint_32 y = 0; y < height; y++) {
            tg_png_row_to_rgb(h, color_type, bit_depth, h->raw + rowbytes * y, out + stride * y, (int)width);
        }
    } else {
        h->raw = malloc(rowbytes ? rowbytes : 1);
        if (!h->raw) {
            tg_png_set_status(status, TG_ERR_NO_MEMORY, "out of memory", h->warnings);
            return TG_ERR_NO_MEMORY;
        }
        for (png_uint_32 y = 0; y < height; y++) {
            png_read_row(h->png, h->raw, NULL);
            tg_png_row_to_rgb(h, color_type, bit_depth, h->raw, out + stride * y, (int)width);
        }
    }
    if (status) status->warnings = h->warnings;
    return TG_OK;
}
