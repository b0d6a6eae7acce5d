#include "CImage.h"

#include <stdio.h>  // before jpeglib.h, which uses FILE

#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

static void set_error(char *error, size_t length, const char *message) {
    if (error && length) snprintf(error, length, "%s", message);
}

// ---- PNG ----

typedef struct {
    const uint8_t *data;
    size_t length, offset;
    char message[256];
    jmp_buf jump;
} png_source;

static void png_read_memory(png_structp png, png_bytep out, png_size_t count) {
    png_source *src = png_get_io_ptr(png);
    if (src->offset + count > src->length) png_error(png, "truncated PNG data");
    memcpy(out, src->data + src->offset, count);
    src->offset += count;
}

static void png_fail(png_structp png, png_const_charp message) {
    png_source *src = png_get_error_ptr(png);
    snprintf(src->message, sizeof src->message, "%s", message);
    longjmp(src->jump, 1);
}

static void png_ignore_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

// Whether width × height is over the budget, and the message that says so.
static int over_budget(size_t width, size_t height, size_t max_pixels, char *message, size_t length) {
    if (width * height <= max_pixels && (height == 0 || width <= max_pixels / height)) return 0;
    snprintf(message, length, "the image is %zux%zu = %zu pixels, over the limit of %zu", width, height, width * height, max_pixels);
    return 1;
}

static int decode_png(const uint8_t *data, size_t length, size_t max_pixels, cimage_image *out, char *error, size_t error_length) {
    png_source src = {data, length, 0, {0}};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_fail, png_ignore_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    // set after setjmp and freed on the longjmp path: volatile, so the jump sees their values
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (!png || !info) {
        set_error(error, error_length, "out of memory");
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    if (setjmp(src.jump)) {
        set_error(error, error_length, src.message[0] ? src.message : "corrupt PNG");
        free((void *)pixels);
        free((void *)rows);
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    png_set_read_fn(png, &src, png_read_memory);
    png_set_chunk_malloc_max(png, 8u << 20);  // ancillary chunks (text, ICC profiles) stay small
    png_read_info(png, info);
    png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    int color = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
    char budget[160];
    if (over_budget(width, height, max_pixels, budget, sizeof budget)) png_error(png, budget);
    // Everything becomes 8-bit gray, gray+alpha, RGB or RGBA.
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (depth == 16) png_set_strip_16(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int channels = png_get_channels(png, info);
    size_t stride = (size_t)width * channels;
    if (png_get_rowbytes(png, info) != stride) png_error(png, "unexpected PNG row layout");
    pixels = malloc(stride * height);
    rows = malloc(sizeof(png_bytep) * height);
    if (!pixels || !rows) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + y * stride;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free((void *)rows);
    png_destroy_read_struct(&png, &info, NULL);
    out->width = (int)width;
    out->height = (int)height;
    out->channels = channels;
    out->pixels = (uint8_t *)pixels;
    return 0;
}

// ---- JPEG ----

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} jpeg_error;

static void jpeg_fail(j_common_ptr info) {
    jpeg_error *err = (jpeg_error *)info->err;
    (*info->err->format_message)(info, err->message);
    longjmp(err->jump, 1);
}

// Prints nothing, but counts warnings (level -1) as libjpeg's own emit_message does, so that a
// damaged stream ("premature end of data") is seen below.
static void jpeg_count_warning(j_common_ptr info, int level) {
    if (level < 0) info->err->num_warnings++;
}

static int decode_jpeg(const uint8_t *data, size_t length, size_t max_pixels, cimage_image *out, char *error, size_t error_length) {
    struct jpeg_decompress_struct info;
    jpeg_error err;
    // set after setjmp and freed on the longjmp path: volatile, so the jump sees its value
    uint8_t *volatile pixels = NULL;
    info.err = jpeg_std_error(&err.base);
    err.base.error_exit = jpeg_fail;
    err.base.emit_message = jpeg_count_warning;
    err.message[0] = 0;
    if (setjmp(err.jump)) {
        set_error(error, error_length, err.message[0] ? err.message : "corrupt JPEG");
        free((void *)pixels);
        jpeg_destroy_decompress(&info);
        return -1;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)length);
    jpeg_read_header(&info, TRUE);
    if (over_budget(info.image_width, info.image_height, max_pixels, err.message, sizeof err.message)) longjmp(err.jump, 1);
    // Gray stays gray; everything else (YCbCr, CMYK as libjpeg converts it) becomes RGB.
    info.out_color_space = info.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&info);
    int channels = info.output_components;
    size_t stride = (size_t)info.output_width * channels;
    pixels = malloc(stride * info.output_height);
    if (!pixels) {
        strcpy(err.message, "out of memory");
        longjmp(err.jump, 1);
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = pixels + info.output_scanline * stride;
        jpeg_read_scanlines(&info, &row, 1);
    }
    // libjpeg fills a truncated stream with gray and only warns: refuse it.
    if (info.err->num_warnings > 0) {
        (*info.err->format_message)((j_common_ptr)&info, err.message);
        char message[JMSG_LENGTH_MAX + 32];
        snprintf(message, sizeof message, "damaged JPEG data: %s", err.message);
        set_error(error, error_length, message);
        free((void *)pixels);
        jpeg_destroy_decompress(&info);
        return -1;
    }
    jpeg_finish_decompress(&info);
    out->width = (int)info.output_width;
    out->height = (int)info.output_height;
    out->channels = channels;
    out->pixels = (uint8_t *)pixels;
    jpeg_destroy_decompress(&info);
    return 0;
}

int cimage_decode(const uint8_t *data, size_t length, size_t max_pixels, cimage_image *out, char *error, size_t error_length) {
    static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memset(out, 0, sizeof *out);
    if (length >= 8 && memcmp(data, png_signature, 8) == 0) return decode_png(data, length, max_pixels, out, error, error_length);
    if (length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        return decode_jpeg(data, length, max_pixels, out, error, error_length);
    set_error(error, error_length, "not a PNG or JPEG file (unknown signature)");
    return -1;
}

// ---- PNG writing ----

typedef struct {
    uint8_t *data;
    size_t length, capacity;
    int failed;
} png_sink;

static void png_write_memory(png_structp png, png_bytep bytes, png_size_t count) {
    png_sink *sink = png_get_io_ptr(png);
    if (sink->length + count > sink->capacity) {
        size_t capacity = sink->capacity ? sink->capacity * 2 : 65536;
        while (capacity < sink->length + count) capacity *= 2;
        uint8_t *grown = realloc(sink->data, capacity);
        if (!grown) png_error(png, "out of memory");
        sink->data = grown;
        sink->capacity = capacity;
    }
    memcpy(sink->data + sink->length, bytes, count);
    sink->length += count;
}

static void png_flush_memory(png_structp png) { (void)png; }

int cimage_encode_png(const uint8_t *pixels, int width, int height, int channels,
                      uint8_t **out, size_t *out_length, char *error, size_t error_length) {
    static const int color_types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGBA};
    if (channels < 1 || channels > 4 || width <= 0 || height <= 0) {
        set_error(error, error_length, "PNG needs 1-4 channels and a positive size");
        return -1;
    }
    png_source state = {0};
    png_sink sink = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &state, png_fail, png_ignore_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        set_error(error, error_length, "out of memory");
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    if (setjmp(state.jump)) {
        set_error(error, error_length, state.message[0] ? state.message : "PNG encoding failed");
        free(sink.data);
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_set_write_fn(png, &sink, png_write_memory, png_flush_memory);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, color_types[channels],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(pixels + (size_t)y * width * channels));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    *out = sink.data;
    *out_length = sink.length;
    return 0;
}

void cimage_free(void *pointer) { free(pointer); }
