/*
 * tlb-probe.c — what a random access into a large page cache costs with 4 KiB mappings and with
 * 2 MiB transparent huge pages (the question behind PagePool's huge-page slabs).
 *
 *   cc -O2 -o /tmp/tlb-probe deploy/bench/tlb-probe.c
 *   /tmp/tlb-probe SIZE_MIB HUGE(0|1) LOADS      e.g. /tmp/tlb-probe 1536 0 4000000; /tmp/tlb-probe 1536 1 4000000
 *
 * Maps SIZE_MIB of anonymous memory 2 MiB-aligned, advised MADV_NOHUGEPAGE (0) or MADV_HUGEPAGE
 * (1), touches it all, then measures (a) a chain of dependent loads, one per 4 KiB page in a
 * random cyclic order (latency of one random access: cache miss + TLB miss + page walk), and
 * (b) copying 4 KiB from a random page into a buffer (what a cached 4 KiB read does to its page).
 * Prints ns per access and the AnonHugePages the kernel actually gave. Alternate the two runs.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  size_t sz=(size_t)atol(argv[1])<<20; int huge=atoi(argv[2]); long n=atol(argv[3]);
  char*raw=mmap(0,sz+(2<<20),PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  char*p=(char*)(((uintptr_t)raw+(2<<20)-1)&~((uintptr_t)(2<<20)-1));
  madvise(p,sz,huge?MADV_HUGEPAGE:MADV_NOHUGEPAGE);
  size_t pages=sz/4096;
  // random cyclic permutation over pages: each page's first word points to the next page (dependent loads)
  size_t*perm=malloc(pages*sizeof(size_t)); for(size_t i=0;i<pages;i++)perm[i]=i;
  srand(42); for(size_t i=pages-1;i>0;i--){size_t j=((size_t)rand()*RAND_MAX+rand())%(i+1);size_t t=perm[i];perm[i]=perm[j];perm[j]=t;}
  for(size_t i=0;i<pages;i++){ *(size_t*)(p+perm[i]*4096 + (perm[i]%64)*64)= perm[(i+1)%pages]; }
  size_t cur=perm[0]; double t0=now();
  for(long i=0;i<n;i++){ cur=*(size_t*)(p+cur*4096+(cur%64)*64); }
  double t1=now();
  // also: copy 4 KiB from a random page (like a hit)
  char buf[4096]; size_t x=1; double t2=now();
  for(long i=0;i<n/4;i++){ x=x*6364136223846793005ULL+1442695040888963407ULL; memcpy(buf,p+((x>>20)%pages)*4096,4096); __asm__ volatile(""::"r"(buf):"memory"); }
  double t3=now();
  FILE*f=fopen("/proc/self/smaps_rollup","r"); char l[256]; long ah=0; while(fgets(l,256,f)) if(!strncmp(l,"AnonHugePages:",14)) ah=atol(l+14);
  printf("size=%zuMiB huge=%d chase=%.1f ns/load copy4k=%.1f ns  AnonHuge=%ld kB (%zu)\n",sz>>20,huge,(t1-t0)*1e9/n,(t3-t2)*1e9/(n/4),ah,cur);
}
