// Debian's normApi.h is not valid C (PLATFORM.md): normApi_c.h is a copy in which
// NormGetRxBindAddress takes pointers instead of C++ references and NormStreamGetVacancy
// has no default argument. Both symbols are extern "C", so the library links unchanged.
// Ferry calls neither of them.
#include "normApi_c.h"
