/* workload.c: the bench's mixed integer workload — sort, hash, sieve and CRC over arrays, with calls,
 * branches and memory traffic. Built twice by bench/workloads.ts with the same ROUNDS:
 *   guest (default): freestanding, linked at 0x100000; _start calls guest_main, which prints the
 *     result as 16 hex digits and a newline on port 0xE9, leaves it in RAX and HLTs;
 *   -DHOST: an ordinary program that prints the same line, to check the emulator against the host.
 */
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned char u8;

#ifndef ROUNDS
#define ROUNDS 1
#endif

#define N_SORT 512
#define N_SIEVE 8192
#define N_BYTES 2048

static u32 sort_buf[N_SORT];
static u8 sieve_buf[N_SIEVE];
static u8 bytes[N_BYTES];
static u32 crc_table[256];

static u64 rng_state;

static __attribute__((noinline)) u32 next_random(void) {
  /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (u32)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static __attribute__((noinline)) void fill(u32 *a, int n) {
  for (int i = 0; i < n; i++) a[i] = next_random();
}

static __attribute__((noinline)) void quicksort(u32 *a, int lo, int hi) {
  while (lo < hi) {
    if (hi - lo < 16) { /* insertion sort for short runs */
      for (int i = lo + 1; i <= hi; i++) {
        u32 v = a[i];
        int j = i - 1;
        while (j >= lo && a[j] > v) { a[j + 1] = a[j]; j--; }
        a[j + 1] = v;
      }
      return;
    }
    u32 pivot = a[lo + (hi - lo) / 2];
    int i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) { u32 t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    /* recurse into the smaller part, loop on the larger */
    if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; }
    else { quicksort(a, i, hi); hi = j; }
  }
}

static __attribute__((noinline)) u64 hash_words(const u32 *a, int n) {
  u64 h = 0xcbf29ce484222325ULL; /* FNV-1a over the words, then a final mix */
  for (int i = 0; i < n; i++) { h ^= a[i]; h *= 0x100000001b3ULL; }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

static __attribute__((noinline)) u32 sieve(int n) {
  for (int i = 0; i < n; i++) sieve_buf[i] = 1;
  sieve_buf[0] = sieve_buf[1] = 0;
  for (int i = 2; i * i < n; i++)
    if (sieve_buf[i])
      for (int j = i * i; j < n; j += i) sieve_buf[j] = 0;
  u32 count = 0, last = 0;
  for (int i = 0; i < n; i++) if (sieve_buf[i]) { count++; last = (u32)i; }
  return count * 65536u + last;
}

static __attribute__((noinline)) void crc_init(void) {
  for (u32 i = 0; i < 256; i++) {
    u32 c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}

static __attribute__((noinline)) u32 crc32(const u8 *p, int n, u32 crc) {
  crc = ~crc;
  for (int i = 0; i < n; i++) crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

static __attribute__((noinline)) u64 workload(int rounds) {
  u64 acc = 0;
  rng_state = 0x9E3779B97F4A7C15ULL;
  crc_init();
  for (int r = 0; r < rounds; r++) {
    fill(sort_buf, N_SORT);
    quicksort(sort_buf, 0, N_SORT - 1);
    for (int i = 1; i < N_SORT; i++) if (sort_buf[i - 1] > sort_buf[i]) acc += 0x1000000; /* never */
    acc = acc * 31 + hash_words(sort_buf, N_SORT);
    acc ^= sieve(N_SIEVE - (r & 255));
    for (int i = 0; i < N_BYTES; i++) bytes[i] = (u8)(sort_buf[i % N_SORT] >> (i & 24));
    acc += crc32(bytes, N_BYTES, (u32)acc);
  }
  return acc;
}

static void to_hex(u64 v, char *out) {
  for (int i = 15; i >= 0; i--) { out[i] = "0123456789abcdef"[v & 15]; v >>= 4; }
  out[16] = '\n';
}

#ifdef HOST
#include <unistd.h>
int main(void) {
  char line[17];
  to_hex(workload(ROUNDS), line);
  return write(1, line, sizeof line) == sizeof line ? 0 : 1;
}
#else
/* gcc may emit calls to these even in freestanding code (SysV string functions it assumes exist). */
void *memset(void *d, int c, unsigned long n) { u8 *p = d; while (n--) *p++ = (u8)c; return d; }
void *memcpy(void *d, const void *s, unsigned long n) { u8 *p = d; const u8 *q = s; while (n--) *p++ = *q++; return d; }

static inline void outb(unsigned short port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }

u64 guest_main(void) {
  char line[17];
  u64 r = workload(ROUNDS);
  to_hex(r, line);
  for (int i = 0; i < 17; i++) outb(0xe9, (u8)line[i]);
  return r;
}

/* The entry point: the loader sets RSP (16-byte aligned) and jumps here. */
__asm__(".section .text.start,\"ax\",@progbits\n"
        ".globl _start\n"
        "_start:\n"
        "  call guest_main\n"
        "  hlt\n"
        "  jmp _start\n"
        ".previous\n");
#endif
