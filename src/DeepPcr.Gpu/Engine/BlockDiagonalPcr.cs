using ILGPU;

namespace DeepPcr.Gpu.Engine;

/// <summary>
/// PCR of a BlockDiagonal(k) chain (k = 1: diagonal; k = 2: 2 x 2 blocks of diagonals) on a recurrent workspace's
/// ping-pong buffers: the blocks start in BlocksA and the right-hand side in RhsA (z_{-1} = 0 or folded in already);
/// ceil(log2 T) rounds of <see cref="Kernels.RecurrentKernels.BlockDiagonalRound"/>, one launch each, one thread per
/// (t, b, unit), queued without waiting. The structure keeps every composed block in the same k x k per-unit form, so
/// a round costs O(T B H k^3) instead of the dense O(T B S^3).
/// </summary>
public static class BlockDiagonalPcr
{
    /// <summary>Solves the chain on the device.</summary>
    /// <param name="ws">The workspace: A in BlocksA, c in RhsA.</param>
    /// <param name="rounds">The rounds launched.</param>
    /// <returns>The view that holds the solution (T, B, S): RhsA or RhsB.</returns>
    public static ArrayView<float> Solve(RecurrentWorkspace ws, out int rounds)
    {
        ArgumentNullException.ThrowIfNull(ws);
        var kernels = ws.Device.RecurrentKernels;
        var d = ws.Dims;
        ArrayView<float> aIn = ws.BlocksA.View, aOut = ws.BlocksB.View, cIn = ws.RhsA.View, cOut = ws.RhsB.View;
        rounds = 0;
        for (int s = 1; s < d.Length; s *= 2, rounds++)
        {
            kernels.Round(ws.Device.Stream, d.Units, d, s, aIn, aOut, cIn, cOut);
            (aIn, aOut) = (aOut, aIn);
            (cIn, cOut) = (cOut, cIn);
        }
        return cIn;
    }
}
