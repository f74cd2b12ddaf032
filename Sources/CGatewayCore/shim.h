#ifndef CGATEWAYCORE_SHIM_H
#define CGATEWAYCORE_SHIM_H

#if defined(__linux__)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* A spin-wait hint (x86 PAUSE, Arm YIELD): the core slows the loop down and lets the other side's
   cache lines settle, instead of re-reading them as fast as it can. Swift has no intrinsic for it. */
static inline void gateway_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield" ::: "memory");
#else
    __asm__ __volatile__("" ::: "memory");
#endif
}

/* Keeps the compiler from moving memory accesses across this point; the processor may still. */
static inline void gateway_compiler_barrier(void) {
    __asm__ __volatile__("" ::: "memory");
}

/* The heavy side of an asymmetric fence (membarrier(2)): when it returns, every running thread of the
   process has passed a full memory barrier, so the light side needs only a compiler barrier.
   Registration must succeed once first; returns 0 on success, -1 where the kernel has no such call. */
static inline int gateway_membarrier_register(void) {
#if defined(__linux__) && defined(__NR_membarrier)
    return (int)syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
#else
    return -1;
#endif
}

static inline int gateway_membarrier(void) {
#if defined(__linux__) && defined(__NR_membarrier)
    return (int)syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
#else
    return -1;
#endif
}

#endif
