/* JPEG encoding of 8-bit RGB through libjpeg(-turbo), into memory, with setjmp/longjmp error recovery.
 *
 * Output is a baseline (sequential, Huffman) JFIF file: YCbCr with libjpeg's default 4:2:0 chroma
 * subsampling, the standard quantisation tables scaled to `quality`, the integer slow DCT (exact
 * on every platform) and optimised Huffman tables. The same pixels and quality give the same bytes
 * with the same libjpeg build: nothing in the file depends on the time or the machine. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

#include "CImageCodecs.h"

/* Hard errors unwind to the setjmp in tg_jpeg_encode_rgb; warnings are ignored. */
struct tg_jpeg_encode_error {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

/* A growable malloc'd destination (our own, so that an error leaves nothing behind). */
struct tg_jpeg_memory_destination {
    struct jpeg_destination_mgr pub;
    unsigned char *data;
    size_t capacity;
    size_t size;
    int no_memory;
};

/* Everything one encoding needs, in one heap block. */
struct tg_jpeg_encoder {
    struct jpeg_compress_struct cinfo;
    struct tg_jpeg_encode_error err;
    struct tg_jpeg_memory_destination dest;
};

static void tg_jpeg_encode_error_exit(j_common_ptr cinfo) {
    struct tg_jpeg_encode_error *err = (struct tg_jpeg_encode_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

static void tg_jpeg_encode_emit_message(j_common_ptr cinfo, int msg_level) {
    if (msg_level < 0) cinfo->err->num_warnings++;
}

static void tg_jpeg_encode_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void tg_jpeg_destination_init(j_compress_ptr cinfo) {
    struct tg_jpeg_memory_destination *dest = (struct tg_jpeg_memory_destination *)cinfo->dest;
    dest->pub.next_output_byte = dest->data;
    dest->pub.free_in_buffer = dest->capacity;
    dest->size = 0;
}

/* Called when the whole buffer is full: double it. */
static boolean tg_jpeg_destination_empty(j_compress_ptr cinfo) {
    struct tg_jpeg_memory_destination *dest = (struct tg_jpeg_memory_destination *)cinfo->dest;
    size_t used = dest->capacity;
    size_t capacity = dest->capacity ? dest->capacity * 2 : 16384;
    unsigned char *grown = realloc(dest->data, capacity);
    if (!grown) {
        dest->no_memory = 1;
        ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
    }
    dest->data = grown;
    dest->capacity = capacity;
    dest->pub.next_output_byte = grown + used;
    dest->pub.free_in_buffer = capacity - used;
    return TRUE;
}

static void tg_jpeg_destination_term(j_compress_ptr cinfo) {
    struct tg_jpeg_memory_destination *dest = (struct tg_jpeg_memory_destination *)cinfo->dest;
    dest->size = dest->capacity - dest->pub.free_in_buffer;
}

static int tg_jpeg_encode_usage(tg_status *status, const char *message) {
    if (status) {
        status->code = TG_ERR_USAGE;
        snprintf(status->message, sizeof(status->message), "%s", message);
    }
    return TG_ERR_USAGE;
}

int tg_jpeg_encode_rgb(const unsigned char *pixels, int width, int height, int quality,
                       unsigned char **out, size_t *out_size, tg_status *status) {
    if (status) { status->code = TG_OK; status->warnings = 0; status->message[0] = 0; }
    if (!pixels || !out || !out_size) return tg_jpeg_encode_usage(status, "tg_jpeg_encode_rgb: NULL argument");
    *out = NULL;
    *out_size = 0;
    if (width <= 0 || height <= 0 || width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION) {
        return tg_jpeg_encode_usage(status, "tg_jpeg_encode_rgb: a JPEG is 1 to 65500 pixels on each side");
    }
    if (quality < 1 || quality > 100) {
        return tg_jpeg_encode_usage(status, "tg_jpeg_encode_rgb: quality must be 1...100");
    }

    /* The state lives on the heap and `enc` is not changed after setjmp, so everything the error
     * path reads is well defined after a longjmp. */
    struct tg_jpeg_encoder *enc = calloc(1, sizeof(struct tg_jpeg_encoder));
    size_t guess = (size_t)width * (size_t)height / 2 + 4096; /* grows as needed */
    unsigned char *first = enc ? malloc(guess) : NULL;
    if (!enc || !first) {
        free(enc);
        free(first);
        if (status) {
            status->code = TG_ERR_NO_MEMORY;
            snprintf(status->message, sizeof(status->message), "cannot allocate the JPEG encoder");
        }
        return TG_ERR_NO_MEMORY;
    }
    enc->dest.data = first;
    enc->dest.capacity = guess;
    j_compress_ptr cinfo_ptr = &enc->cinfo;
    enc->cinfo.err = jpeg_std_error(&enc->err.pub);
    enc->err.pub.error_exit = tg_jpeg_encode_error_exit;
    enc->err.pub.emit_message = tg_jpeg_encode_emit_message;
    enc->err.pub.output_message = tg_jpeg_encode_output_message;
    if (setjmp(enc->err.jump)) {
        int code = (enc->dest.no_memory || enc->err.pub.msg_code == JERR_OUT_OF_MEMORY) ? TG_ERR_NO_MEMORY
                                                                                       : TG_ERR_CORRUPT;
        if (status) {
            status->code = code;
            status->warnings = (int)enc->err.pub.num_warnings;
            snprintf(status->message, sizeof(status->message), "%s", enc->err.message);
        }
        jpeg_destroy_compress(&enc->cinfo);
        free(enc->dest.data);
        free(enc);
        return code;
    }
    jpeg_create_compress(cinfo_ptr);
    enc->dest.pub.init_destination = tg_jpeg_destination_init;
    enc->dest.pub.empty_output_buffer = tg_jpeg_destination_empty;
    enc->dest.pub.term_destination = tg_jpeg_destination_term;
    enc->cinfo.dest = &enc->dest.pub;

    cinfo_ptr->image_width = (JDIMENSION)width;
    cinfo_ptr->image_height = (JDIMENSION)height;
    cinfo_ptr->input_components = 3;
    cinfo_ptr->in_color_space = JCS_RGB;
    jpeg_set_defaults(cinfo_ptr);
    jpeg_set_quality(cinfo_ptr, quality, TRUE /* baseline-compatible tables */);
    cinfo_ptr->dct_method = JDCT_ISLOW;
    cinfo_ptr->optimize_coding = TRUE;
    cinfo_ptr->write_JFIF_header = TRUE;

    jpeg_start_compress(cinfo_ptr, TRUE);
    size_t stride = (size_t)width * 3;
    while (cinfo_ptr->next_scanline < cinfo_ptr->image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + stride * (size_t)cinfo_ptr->next_scanline);
        jpeg_write_scanlines(cinfo_ptr, &row, 1);
    }
    jpeg_finish_compress(cinfo_ptr);
    if (status) status->warnings = (int)enc->err.pub.num_warnings;
    jpeg_destroy_compress(cinfo_ptr);

    *out = enc->dest.data;
    *out_size = enc->dest.size;
    free(enc);
    return TG_OK;
}
