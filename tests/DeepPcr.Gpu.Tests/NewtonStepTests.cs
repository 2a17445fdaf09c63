using DeepPcr.Gpu.Engine;
using DeepPcr.Gpu.Model;
using DeepPcr.Gpu.Reference;
using ILGPU.Runtime;

namespace DeepPcr.Gpu.Tests;

/// <summary>
/// One Newton iterate on the device equals the exact Newton iterate computed on the host in float64 (row by
/// row: d_k = J_k d_{k-1} + f_k(z_k) - z_{k+1}). Convergence alone would not show a wrong step: Newton with an
/// inexact step still converges, only more slowly.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class NewtonStepTests(CpuDeviceFixture fixture)
{
    [Theory]
    [InlineData("one-group", 2, 3, 1)]
    [InlineData("one-group", 3, 3, 2)]
    [InlineData("one-group", 5, 8, 1)]
    [InlineData("one-group", 16, 3, 2)]
    [InlineData("per-entry", 2, 3, 1)]
    [InlineData("per-entry", 5, 8, 1)]
    [InlineData("per-entry", 16, 3, 2)]
    [InlineData("tiled", 5, 8, 2)]
    [InlineData("tiled", 1025, 3, 2)]
    [InlineData("tiled", 17, 16, 4)]
    public void TwoStepsMatchTheHostNewtonSteps(string path, int layers, int width, int batch)
    {
        var (model, problem) = Problems.Make(layers, width, batch, seed: 31);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        var options = Problems.Path(path);
        var z = new double[layers * batch * width];
        ws.States.MemSetToZero();
        for (int step = 0; step < 2; step++)
        {
            FusedIteration.Correction(ws, options);
            z = HostNewtonStep(model, problem.Input, z);
            Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(ws.Next.View), z), 0, 1e-5);
            ws.Write(ws.States.View, Array.ConvertAll(z, v => (float)v));
        }
    }

    private static double[] HostNewtonStep(MlpModel model, double[] input, double[] z)
    {
        int w = model.Width, batch = input.Length / w, layers = model.Layers;
        var next = new double[z.Length];
        var d = new double[w];
        for (int b = 0; b < batch; b++)
        {
            Array.Clear(d);
            for (int k = 0; k < layers; k++)
            {
                var zIn = new double[w];
                for (int j = 0; j < w; j++) zIn[j] = k == 0 ? input[b * w + j] : z[((k - 1) * batch + b) * w + j];
                var nd = new double[w];
                for (int i = 0; i < w; i++)
                {
                    double pre = model.Biases[k * w + i];
                    for (int j = 0; j < w; j++) pre += model.Weights[(k * w + i) * w + j] * zIn[j];
                    double slope = model.Activation.Derivative(pre), jd = 0;
                    for (int j = 0; j < w; j++) jd += slope * model.Weights[(k * w + i) * w + j] * d[j];
                    int at = (k * batch + b) * w + i;
                    nd[i] = jd + model.Activation.Apply(pre) - z[at];
                    next[at] = z[at] + nd[i];
                }
                d = nd;
            }
        }
        return next;
    }
}
