namespace DeepPcr.Cli.Measuring;

/// <summary>One thing to time: a label (the JSON name stem, e.g. "deeppcr" for deeppcr_ms) and the work.</summary>
/// <param name="Label">Name of the timing, used as <c>{Label}_ms</c> in JSON.</param>
/// <param name="Run">One complete repetition of the work; it must carry no state between calls.</param>
/// <param name="Threads">Threads for this case, TorchSharp intra-op threads and host-kernel threads alike, or null to leave both alone.</param>
public sealed record BenchCase(string Label, Action Run, int? Threads = null);
