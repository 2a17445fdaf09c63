using DeepPcr.Gpu.Engine;
using DeepPcr.Gpu.Kernels;
using DeepPcr.Gpu.Model;
using ILGPU.Runtime;

namespace DeepPcr.Gpu.Tests;

/// <summary>Device PCR (both thread mappings) against forward substitution in float64.</summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class PcrKernelTests(CpuDeviceFixture fixture)
{
    /// <summary>
    /// Random blocks of norm below 1 and a nonzero start state: PCR in ceil(log2 L) rounds equals row-by-row
    /// substitution z_r = A_r z_{r-1} + c_r to 1e-5 relative (float32; products of such blocks decay along 1025 rows), with the start
    /// state folded in exactly once.
    /// </summary>
    [Theory]
    [InlineData(1, 1, 1, false)]
    [InlineData(2, 3, 2, false)]
    [InlineData(3, 8, 1, false)]
    [InlineData(5, 3, 2, false)]
    [InlineData(16, 8, 2, false)]
    [InlineData(16, 1, 1, false)]
    [InlineData(1, 3, 1, true)]
    [InlineData(3, 8, 2, true)]
    [InlineData(5, 1, 1, true)]
    [InlineData(16, 3, 2, true)]
    [InlineData(1025, 3, 2, false)]
    [InlineData(1025, 3, 2, true)]
    [InlineData(17, 16, 4, true)]
    public void MatchesForwardSubstitution(int layers, int width, int batch, bool tiled)
    {
        var (ws, a, c, z0) = Random(layers, width, batch, seed: layers * 100 + width * 10 + batch);
        using (ws)
        {
            var solution = DevicePcr.Solve(ws, ws.Input.View, new EngineOptions(TiledFromWidth: tiled ? 1 : 64));
            var expected = Substitute(a, c, z0, layers, batch, width, fold: true);
            Assert.InRange(Reference.ErrorMeasure.PooledRelative(ws.Read(solution), expected), 0, 1e-5);
        }
    }

    /// <summary>Without a start state (the Newton correction and the adjoint), row 0 is c_0 and A_0 is never read: a NaN there changes nothing.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WithoutStartRowZeroBlockIsIgnored(bool tiled)
    {
        const int layers = 5, width = 3, batch = 2;
        var (ws, a, c, z0) = Random(layers, width, batch, seed: 11);
        using (ws)
        {
            var poisoned = (float[])a.Clone();
            for (int e = 0; e < batch * width * width; e++) poisoned[e] = float.NaN;
            ws.Write(ws.BlocksA.View, poisoned);
            var solution = DevicePcr.Solve(ws, null, new EngineOptions(TiledFromWidth: tiled ? 1 : 64));
            var expected = Substitute(a, c, new float[z0.Length], layers, batch, width, fold: false);
            Assert.InRange(Reference.ErrorMeasure.PooledRelative(ws.Read(solution), expected), 0, 1e-5);
        }
    }

    /// <summary>Composed entries and sums below the smallest normal float32 are flushed to zero, like CpuPcrKernel: a chain of 1e-20 scalars gives exact zeros beyond two steps.</summary>
    [Fact]
    public void TinyProductsAreFlushed()
    {
        const int layers = 8;
        var (ws, _, _, _) = Random(layers, 1, 1, seed: 5);
        using (ws)
        {
            // Products of two such blocks (1e-40) fall below the smallest normal float32 and are flushed to zero.
            var a = Enumerable.Repeat(1e-20f, layers).ToArray();
            var c = new float[layers];
            c[0] = 1f;
            ws.Write(ws.BlocksA.View, a);
            ws.Write(ws.RhsA.View, c);
            var solution = ws.Read(DevicePcr.Solve(ws, null, EngineOptions.Default));
            Assert.Equal(1.0, solution[0]);
            Assert.Equal(1e-20, solution[1], 1e-26);
            Assert.All(solution.Skip(2), v => Assert.Equal(0.0, v));
        }
    }

    /// <summary>The rounds count: ceil(log2 L).</summary>
    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(16, 4)]
    [InlineData(17, 5)]
    [InlineData(1024, 10)]
    public void RoundsAreCeilLog2(int layers, int rounds) => Assert.Equal(rounds, DevicePcr.RoundsFor(layers));

    private (ChainWorkspace Ws, float[] A, float[] C, float[] Z0) Random(int layers, int width, int batch, int seed)
    {
        var (model, problem) = Problems.Make(layers, width, batch, seed);
        var ws = new ChainWorkspace(fixture.Device, model, problem);
        var random = new Gaussian(seed);
        var a = Array.ConvertAll(random.Next(layers * batch * width * width, 0.6 / Math.Sqrt(width)), v => (float)v);
        var c = Array.ConvertAll(random.Next(layers * batch * width, 1.0), v => (float)v);
        var z0 = Array.ConvertAll(problem.Input, v => (float)v);
        ws.Write(ws.BlocksA.View, a);
        ws.Write(ws.RhsA.View, c);
        return (ws, a, c, z0);
    }

    private static double[] Substitute(float[] a, float[] c, float[] z0, int layers, int batch, int width, bool fold)
    {
        var z = new double[layers * batch * width];
        for (int r = 0; r < layers; r++)
        for (int b = 0; b < batch; b++)
        for (int i = 0; i < width; i++)
        {
            double sum = c[(r * batch + b) * width + i];
            if (r > 0 || fold)
            {
                for (int j = 0; j < width; j++)
                {
                    double prev = r == 0 ? z0[b * width + j] : z[((r - 1) * batch + b) * width + j];
                    sum += a[((r * batch + b) * width + i) * width + j] * prev;
                }
            }
            z[(r * batch + b) * width + i] = sum;
        }
        return z;
    }
}
