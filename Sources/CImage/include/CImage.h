// PNG and JPEG through libpng and libjpeg(-turbo). Both libraries report errors by longjmp,
// which Swift cannot catch, so these small C functions own the setjmp and turn every failure
// into a return code and a message.
#ifndef CIMAGE_H
#define CIMAGE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int width;
    int height;
    int channels;      // 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA; 8 bits each
    uint8_t *pixels;   // width * height * channels bytes, row-major; free with cimage_free
} cimage_image;

// Decodes a PNG or JPEG held in memory (the format is told by its signature). An image of more
// than `max_pixels` pixels is refused from its header, before its pixels are allocated.
// Returns 0 on success; otherwise writes a message into `error` and returns -1.
int cimage_decode(const uint8_t *data, size_t length, size_t max_pixels, cimage_image *out, char *error, size_t error_length);

// Encodes 8-bit pixels (1–4 channels) as a PNG into a malloc'ed buffer (free with cimage_free).
int cimage_encode_png(const uint8_t *pixels, int width, int height, int channels,
                      uint8_t **out, size_t *out_length, char *error, size_t error_length);

void cimage_free(void *pointer);

#endif
