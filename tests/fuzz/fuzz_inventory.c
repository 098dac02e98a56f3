/* fuzz_inventory.c - libFuzzer target for the inventory CSV importer.
 * Build and run from the repo root:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *       -D_POSIX_C_SOURCE=200809L -D_XOPEN_SOURCE=700 \
 *       tests/fuzz/fuzz_inventory.c src/inventory.c src/site.c src/util.c \
 *       -o /tmp/fuzz_inventory -lcsv -lnettle
 *   /tmp/fuzz_inventory -max_len=4096 -max_total_time=60 \
 *       /tmp/fuzz-corpus data/
 * Besides memory errors it checks the contract: a refusal returns nothing
 * and names the file; a success returns valid sites in file order. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_site(const site *s, int line, int prev_line)
{
    ss_err e;
    if (site_check(s, NULL, &e) != 0 || strlen(s->code) != 3 ||
        line <= prev_line || !utf8_valid(s->name, strlen(s->name)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    inventory inv;
    ss_err e = {{0}};
    if (inventory_parse((const char *)data, size, "fuzz.csv", &inv, &e)) {
        if (inv.n != 0 || inv.sites || inv.lines ||
            strncmp(e.msg, "fuzz.csv:", 9) != 0)
            abort();
        return 0;
    }
    if (inv.n == 0 || !inv.sites || !inv.lines)
        abort();
    for (size_t i = 0; i < inv.n; i++) {
        check_site(&inv.sites[i], inv.lines[i], i ? inv.lines[i - 1] : 1);
        for (size_t j = 0; j < i && inv.n < 64; j++)
            if (strcmp(inv.sites[i].code, inv.sites[j].code) == 0)
                abort();
    }
    inventory_free(&inv);
    return 0;
}
