using DeepPcr.Gpu.Kernels;
using ILGPU;

namespace DeepPcr.Gpu.Engine;

/// <summary>
/// Dense PCR on a workspace's ping-pong buffers (<see cref="PcrKernels"/>): the blocks start in
/// <see cref="ChainWorkspace.BlocksA"/> and the right-hand side in <see cref="ChainWorkspace.RhsA"/>; both
/// pairs are overwritten. ceil(log2 L) rounds, one launch each, queued on the device's stream without waiting.
/// </summary>
public static class DevicePcr
{
    /// <summary>ceil(log2 L): the rounds PCR needs for L rows (0 for L = 1).</summary>
    /// <param name="length">L &gt;= 1.</param>
    /// <returns>The number of rounds.</returns>
    public static int RoundsFor(int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        int rounds = 0;
        for (long s = 1; s < length; s *= 2) rounds++;
        return rounds;
    }

    /// <summary>Solves z_r = A_r z_{r-1} + c_r on the device.</summary>
    /// <param name="ws">The workspace: A in BlocksA, c in RhsA.</param>
    /// <param name="start">(B, w): z_{-1}, folded into row 0; null when it is zero (no fold).</param>
    /// <param name="options">Chooses the thread mapping by width.</param>
    /// <returns>The view that holds the solution (L, B, w): RhsA or RhsB.</returns>
    public static ArrayView<float> Solve(ChainWorkspace ws, ArrayView<float>? start, EngineOptions options) => Solve(ws, start, options, out _);

    /// <summary>Solves z_r = A_r z_{r-1} + c_r on the device and counts the rounds it launched.</summary>
    /// <param name="ws">The workspace: A in BlocksA, c in RhsA.</param>
    /// <param name="start">(B, w): z_{-1}, folded into row 0; null when it is zero (no fold).</param>
    /// <param name="options">Chooses the thread mapping by width.</param>
    /// <param name="rounds">The PCR rounds launched.</param>
    /// <returns>The view that holds the solution (L, B, w): RhsA or RhsB.</returns>
    public static ArrayView<float> Solve(ChainWorkspace ws, ArrayView<float>? start, EngineOptions options, out int rounds)
    {
        ArgumentNullException.ThrowIfNull(ws);
        ArgumentNullException.ThrowIfNull(options);
        var kernels = ws.Device.Kernels;
        var stream = ws.Device.Stream;
        var d = ws.Dims;
        if (start is { } z0) kernels.Fold(stream, d.Row, d, ws.BlocksA.View, z0, ws.RhsA.View);
        ArrayView<float> aIn = ws.BlocksA.View, aOut = ws.BlocksB.View, cIn = ws.RhsA.View, cOut = ws.RhsB.View;
        bool tiled = d.Width >= options.TiledFromWidth;
        var tiledShape = tiled ? LaunchShapes.TiledRound(ws.Device.Accelerator, d) : default;
        rounds = 0;
        for (int s = 1; s < d.Layers; s *= 2, rounds++)
        {
            if (tiled) kernels.RoundTiled(stream, tiledShape, d, s, aIn, aOut, cIn, cOut);
            else kernels.RoundPerEntry(stream, (int)d.Blocks, d, s, aIn, aOut, cIn, cOut);
            (aIn, aOut) = (aOut, aIn);
            (cIn, cOut) = (cOut, cIn);
        }
        return cIn;
    }
}
