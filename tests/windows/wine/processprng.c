/* Test-only: Debian's Wine 8 has no ProcessPrng in bcryptprimitives.dll,
 * which Rust's std on Windows imports, so no Rust .exe starts under it.
 * This DLL gives it one, backed by RtlGenRandom (advapi32's
 * SystemFunction036), and is put in the test Wine prefix only. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
