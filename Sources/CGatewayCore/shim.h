#ifndef CGATEWAYCORE_SHIM_H
#define CGATEWAYCORE_SHIM_H

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

#endif
