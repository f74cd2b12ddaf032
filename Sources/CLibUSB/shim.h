#ifndef CLIBUSB_SHIM_H
#define CLIBUSB_SHIM_H
#include <libusb-1.0/libusb.h>
#endif
