/*
 * email.c - canonical account emails (see email.h): UTF-8 -> UTF-16, character checks,
 * NFC -> case fold -> NFC, back to UTF-8, all in bounded stack buffers.
 */
#include "auth/email.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include "base/rr_error.h"

#define EMAIL_UNITS 1024 /* UTF-16 units: emails are bounded well below this by the schema */

int email_canonical(const char *in, size_t len, char *out, size_t out_size)
{
    UChar a[EMAIL_UNITS], b[EMAIL_UNITS];
    int32_t na = 0, nb = 0, n8 = 0;
    UErrorCode st = U_ZERO_ERROR;
    if (!in || !out || out_size == 0 || len > EMAIL_UNITS / 2)
        return in && out && out_size ? RR_ERR_TOOBIG : RR_ERR_INVAL;
    u_strFromUTF8(a, EMAIL_UNITS, &na, in, (int32_t)len, &st);
    if (st == U_INVALID_CHAR_FOUND || st == U_ILLEGAL_CHAR_FOUND)
        return RR_ERR_CORRUPT;
    if (U_FAILURE(st))
        return RR_ERR_TOOBIG;
    for (int32_t i = 0; i < na;) {
        UChar32 c;
        U16_NEXT(a, i, na, c);
        int8_t type = u_charType(c);
        if (c == 0 || type == U_CONTROL_CHAR || type == U_FORMAT_CHAR)
            return RR_ERR_INVAL;
    }
    const UNormalizer2 *nfc = unorm2_getNFCInstance(&st);
    if (U_FAILURE(st))
        return RR_ERR_INTERNAL;
    nb = unorm2_normalize(nfc, a, na, b, EMAIL_UNITS, &st);
    if (U_SUCCESS(st))
        na = u_strFoldCase(a, EMAIL_UNITS, b, nb, U_FOLD_CASE_DEFAULT, &st);
    if (U_SUCCESS(st))
        nb = unorm2_normalize(nfc, a, na, b, EMAIL_UNITS, &st);
    if (st == U_BUFFER_OVERFLOW_ERROR || st == U_STRING_NOT_TERMINATED_WARNING)
        return RR_ERR_TOOBIG;
    if (U_FAILURE(st))
        return RR_ERR_INTERNAL;
    u_strToUTF8(out, (int32_t)out_size, &n8, b, nb, &st);
    if (st == U_BUFFER_OVERFLOW_ERROR || st == U_STRING_NOT_TERMINATED_WARNING ||
        (size_t)n8 >= out_size)
        return RR_ERR_TOOBIG;
    if (U_FAILURE(st))
        return RR_ERR_INTERNAL;
    out[n8] = '\0';
    return 0;
}
