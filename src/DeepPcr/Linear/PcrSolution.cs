using static TorchSharp.torch;

namespace DeepPcr.Linear;

/// <summary>The solution of a linear recurrence.</summary>
/// <param name="States">(L, B, w): z_1..z_L.</param>
/// <param name="Rounds">The reduction rounds that ran: ceil(log2 L) for PCR, 0 for forward substitution.</param>
public sealed record PcrSolution(Tensor States, int Rounds);
