/**
 * The processor's V8 flags, given as its Deployment's NODE_OPTIONS and by the benchmarks that start
 * it. 64 MiB semi-spaces (V8's default is 16 MiB): under load a processor holds a fetch's records
 * (up to 1 MiB per partition) and a 2,000-order chunk per partition while they wait for the sinks,
 * tens of MB that each young-generation collection copies (and promotes, for the old generation to
 * collect again); with semi-spaces four times larger those collections are a quarter as frequent and
 * most of a chunk is garbage by the next one. The young generation may then take up to ~128 MiB more
 * of the pod's memory (the processor's default limit is 512Mi).
 */
export const processorNodeOptions = '--max-semi-space-size=64';
