// OpenBLAS's CBLAS interface (Debian: libopenblas-dev installs it under the multiarch include dir).
#include <cblas.h>
