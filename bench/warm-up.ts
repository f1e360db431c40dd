/**
 * Seconds of load before a throughput window is measured. Every row starts fresh processes, and V8 optimises their
 * hot code only as it runs: after 1 s of load at 64 in flight on 2 cores, TurboFan's background compiles took 8-14 %
 * of the machine's CPU samples over the next 5 s (`perf record -a`), after 10 s 3 %, and the participants' CPU per
 * saga fell by 10-20 %. A service runs for days; the rows measure it as it runs then, the shape warmed the same way.
 */
export const WARM_UP_SECONDS = 10;
