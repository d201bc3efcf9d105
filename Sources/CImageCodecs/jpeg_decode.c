/* JPEG decoding through libjpeg(-turbo), with setjmp/longjmp error recovery. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

#include "CImageCodecs.h"

struct tg_error_mgr {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    int truncated;
    char message[JMSG_LENGTH_MAX];
    char first_warning[JMSG_LENGTH_MAX];
};

struct tg_jpeg {
    struct jpeg_decompress_struct cinfo;
    struct tg_error_mgr err;
    int decoded;
};

/* A hard error: remember the message and unwind to the setjmp of the current call. */
static void tg_jpeg_error_exit(j_common_ptr cinfo) {
    struct tg_error_mgr *err = (struct tg_error_mgr *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

/* Collects the (first) warning instead of printing it to stderr. */
static void tg_jpeg_output_message(j_common_ptr cinfo) {
    struct tg_error_mgr *err = (struct tg_error_mgr *)cinfo->err;
    if (err->first_warning[0] == 0) {
        (*cinfo->err->format_message)(cinfo, err->first_warning);
    }
}

/* Warnings (msg_level < 0) are counted and ignored, as Pillow ignores them, except libjpeg's
 * "Premature end of JPEG file": Pillow reports that as "image file is truncated", and so do we. */
static void tg_jpeg_emit_message(j_common_ptr cinfo, int msg_level) {
    struct tg_error_mgr *err = (struct tg_error_mgr *)cinfo->err;
    if (msg_level >= 0) {
        return; /* trace messages */
    }
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
        err->truncated = 1;
        (*cinfo->err->format_message)(cinfo, err->message);
        longjmp(err->jump, 1);
    }
    (*cinfo->err->output_message)(cinfo);
    cinfo->err->num_warnings++;
}

static void tg_set_status(tg_status *status, int code, const char *message) {
    if (!status) return;
    status->code = code;
    snprintf(status->message, sizeof(status->message), "%s", message ? message : "");
}

static int tg_jpeg_fail(tg_jpeg *jpeg, tg_status *status) {
    int code = jpeg->err.truncated ? TG_ERR_TRUNCATED : TG_ERR_CORRUPT;
    int msg = jpeg->err.pub.msg_code;
    if (!jpeg->err.truncated) {
        if (msg == JERR_OUT_OF_MEMORY) {
            code = TG_ERR_NO_MEMORY;
        } else if (msg == JERR_BAD_PRECISION || msg == JERR_CONVERSION_NOTIMPL) {
            code = TG_ERR_UNSUPPORTED;
        } else if (msg == JERR_INPUT_EOF || msg == JERR_INPUT_EMPTY) {
            code = TG_ERR_TRUNCATED;
        }
    }
    tg_set_status(status, code, jpeg->err.message);
    if (status) status->warnings = (int)jpeg->err.pub.num_warnings;
    return code;
}

tg_jpeg *tg_jpeg_open(const unsigned char *data, size_t size, tg_jpeg_info *info, tg_status *status) {
    tg_set_status(status, TG_OK, "");
    tg_jpeg *jpeg = calloc(1, sizeof(tg_jpeg));
    if (!jpeg) {
        tg_set_status(status, TG_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    jpeg->cinfo.err = jpeg_std_error(&jpeg->err.pub);
    jpeg->err.pub.error_exit = tg_jpeg_error_exit;
    jpeg->err.pub.output_message = tg_jpeg_output_message;
    jpeg->err.pub.emit_message = tg_jpeg_emit_message;
    if (setjmp(jpeg->err.jump)) {
        tg_jpeg_fail(jpeg, status);
        jpeg_destroy_decompress(&jpeg->cinfo);
        free(jpeg);
        return NULL;
    }
    jpeg_create_decompress(&jpeg->cinfo);
    jpeg_mem_src(&jpeg->cinfo, data, (unsigned long)size);
    jpeg_read_header(&jpeg->cinfo, TRUE);

    struct jpeg_decompress_struct *c = &jpeg->cinfo;
    if (info) {
        info->width = (int)c->image_width;
        info->height = (int)c->image_height;
        info->components = c->num_components;
        info->progressive = c->progressive_mode ? 1 : 0;
        info->precision = c->data_precision;
        info->saw_adobe = c->saw_Adobe_marker ? 1 : 0;
        switch (c->jpeg_color_space) {
            case JCS_GRAYSCALE: info->color_space = TG_JPEG_GRAY; break;
            case JCS_RGB: info->color_space = TG_JPEG_RGB; break;
            case JCS_YCbCr: info->color_space = TG_JPEG_YCBCR; break;
            case JCS_CMYK: info->color_space = TG_JPEG_CMYK; break;
            case JCS_YCCK: info->color_space = TG_JPEG_YCCK; break;
            default: info->color_space = TG_JPEG_OTHER; break;
        }
    }
    if (status) status->warnings = (int)jpeg->err.pub.num_warnings;
    return jpeg;
}

/* Pillow's MULDIV255 (libImaging/ImagingUtils.h). */
static inline int tg_muldiv255(int a, int b) {
    int t = a * b + 128;
    return ((t >> 8) + t) >> 8;
}

static inline unsigned char tg_clip8(int v) {
    return v <= 0 ? 0 : (v >= 255 ? 255 : (unsigned char)v);
}

/* Pillow reads every 4-component JPEG as "CMYK;I" (inverted, the Adobe convention), then
 * convert("RGB") applies cmyk2rgb (libImaging/Convert.c). */
static void tg_cmyk_inverted_to_rgb(const unsigned char *in, unsigned char *out, int width) {
    for (int x = 0; x < width; x++, in += 4, out += 3) {
        int c = 255 - in[0], m = 255 - in[1], y = 255 - in[2], k = 255 - in[3];
        int nk = 255 - k;
        out[0] = tg_clip8(nk - tg_muldiv255(c, nk));
        out[1] = tg_clip8(nk - tg_muldiv255(m, nk));
        out[2] = tg_clip8(nk - tg_muldiv255(y, nk));
    }
}

int tg_jpeg_decode_rgb(tg_jpeg *jpeg, unsigned char *out, size_t out_size, tg_status *status) {
    tg_set_status(status, TG_OK, "");
    if (!jpeg || !out || jpeg->decoded) {
        tg_set_status(status, TG_ERR_USAGE, "tg_jpeg_decode_rgb: no decoder, no buffer, or called twice");
        return TG_ERR_USAGE;
    }
    jpeg->decoded = 1;
    struct jpeg_decompress_struct *c = &jpeg->cinfo;
    if (setjmp(jpeg->err.jump)) {
        return tg_jpeg_fail(jpeg, status);
    }
    int cmyk = 0;
    switch (c->jpeg_color_space) {
        case JCS_GRAYSCALE:
        case JCS_RGB:
        case JCS_YCbCr:
            c->out_color_space = JCS_RGB;
            break;
        case JCS_CMYK:
        case JCS_YCCK:
            c->out_color_space = JCS_CMYK;
            cmyk = 1;
            break;
        default: {
            char message[96];
            snprintf(message, sizeof(message), "unsupported JPEG colour space with %d components",
                     c->num_components);
            tg_set_status(status, TG_ERR_UNSUPPORTED, message);
            return TG_ERR_UNSUPPORTED;
        }
    }
    if ((size_t)c->image_width * (size_t)c->image_height * 3 != out_size) {
        tg_set_status(status, TG_ERR_USAGE, "tg_jpeg_decode_rgb: output buffer has the wrong size");
        return TG_ERR_USAGE;
    }
    jpeg_start_decompress(c);
    if (c->output_width != c->image_width || c->output_height != c->image_height) {
        tg_set_status(status, TG_ERR_USAGE, "tg_jpeg_decode_rgb: unexpected output size");
        return TG_ERR_USAGE;
    }
    size_t stride = (size_t)c->output_width * 3;
    if (cmyk) {
        JSAMPARRAY row = (*c->mem->alloc_sarray)((j_common_ptr)c, JPOOL_IMAGE,
                                                 c->output_width * 4, 1);
        while (c->output_scanline < c->output_height) {
            JDIMENSION line = c->output_scanline;
            if (jpeg_read_scanlines(c, row, 1) != 1) break;
            tg_cmyk_inverted_to_rgb(row[0], out + (size_t)line * stride, (int)c->output_width);
        }
    } else {
        while (c->output_scanline < c->output_height) {
            JSAMPROW rows[4];
            JDIMENSION line = c->output_scanline;
            JDIMENSION n = c->output_height - line;
            if (n > 4) n = 4;
            for (JDIMENSION i = 0; i < n; i++) rows[i] = out + (size_t)(line + i) * stride;
            if (jpeg_read_scanlines(c, rows, n) == 0) break;
        }
    }
    if (c->output_scanline < c->output_height) {
        tg_set_status(status, TG_ERR_TRUNCATED, "Premature end of JPEG file");
        return TG_ERR_TRUNCATED;
    }
    /* jpeg_finish_decompress is not needed: every scanline is out, and a missing EOI is harmless. */
    if (status) status->warnings = (int)jpeg->err.pub.num_warnings;
    if (status && jpeg->err.first_warning[0]) {
        snprintf(status->message, sizeof(status->message), "%s", jpeg->err.first_warning);
    }
    return TG_OK;
}

void tg_jpeg_close(tg_jpeg *jpeg) {
    if (!jpeg) return;
    jpeg_destroy_decompress(&jpeg->cinfo);
    free(jpeg);
}

void tg_free(void *pointer) {
    free(pointer);
}
