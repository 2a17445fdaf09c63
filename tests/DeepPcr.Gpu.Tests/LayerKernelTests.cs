using DeepPcr.Gpu.Engine;
using DeepPcr.Gpu.Kernels;
using DeepPcr.Gpu.Model;
using DeepPcr.Gpu.Reference;
using ILGPU.Runtime;

namespace DeepPcr.Gpu.Tests;

/// <summary>The batched layer kernels and the stopping-test kernel against host formulas in float64.</summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class LayerKernelTests(CpuDeviceFixture fixture)
{
    /// <summary>
    /// Evaluate at arbitrary states: outputs f_k(z_k), act'(pre) and residuals f_k(z_k) - z_{k+1} to 1e-6
    /// relative (act' and the Jacobian blocks 2e-6); reversed transposed blocks J_{L-r}^T (act' from the outputs) to 1e-5.
    /// </summary>
    [Theory]
    [InlineData(1, 1, 1, MlpActivation.Tanh)]
    [InlineData(3, 3, 2, MlpActivation.Tanh)]
    [InlineData(5, 8, 2, MlpActivation.Relu)]
    [InlineData(2, 3, 1, MlpActivation.Identity)]
    public void EvaluateAndJacobians(int layers, int width, int batch, MlpActivation activation)
    {
        var (model, problem) = Problems.Make(layers, width, batch, seed: 21, activation: activation);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        var guess = Array.ConvertAll(new Gaussian(4).Next(layers * batch * width, 0.5), v => (float)v);
        ws.Write(ws.States.View, guess);
        var k = fixture.Device.Kernels;
        var d = ws.Dims;
        k.Evaluate(fixture.Device.Stream, d.States, d, ws.Input.View, ws.States.View, ws.Weights.View, ws.Biases.View, ws.Outputs.View, ws.Derivatives.View, ws.RhsA.View);
        k.Jacobian(fixture.Device.Stream, (int)d.Blocks, d, ws.Derivatives.View, ws.Weights.View, ws.BlocksA.View);
        k.ReversedTransposedJacobian(fixture.Device.Stream, (int)d.Blocks, d, ws.States.View, ws.Weights.View, ws.BlocksB.View);

        var outputs = new double[d.States];
        var slopes = new double[d.States];
        var blocks = new double[d.Blocks];
        var reversed = new double[d.Blocks];
        for (int l = 0; l < layers; l++)
        for (int b = 0; b < batch; b++)
        for (int i = 0; i < width; i++)
        {
            double pre = model.Biases[l * width + i];
            for (int j = 0; j < width; j++)
                pre += model.Weights[(l * width + i) * width + j] * (l == 0 ? problem.Input[b * width + j] : guess[((l - 1) * batch + b) * width + j]);
            int at = (l * batch + b) * width + i;
            outputs[at] = activation.Apply(pre);
            slopes[at] = activation.Derivative(pre);
            for (int j = 0; j < width; j++) blocks[(long)at * width + j] = slopes[at] * model.Weights[(l * width + i) * width + j];
        }
        for (int r = 1; r < layers; r++)
        for (int b = 0; b < batch; b++)
        for (int i = 0; i < width; i++)
        for (int j = 0; j < width; j++)
        {
            int layer = layers - r;
            double y = guess[(layer * batch + b) * width + j];
            double slope = activation switch { MlpActivation.Tanh => 1 - y * y, MlpActivation.Relu => y > 0 ? 1 : 0, _ => 1 };
            reversed[(((long)r * batch + b) * width + i) * width + j] = slope * model.Weights[(layer * width + j) * width + i];
        }
        var residuals = outputs.Select((f, e) => f - guess[e]).ToArray();

        Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(ws.Outputs.View), outputs), 0, 1e-6);
        // act' = 1 - t^2 doubles t's rounding and divides by a smaller number where t is near 1: 2e-6.
        Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(ws.Derivatives.View), slopes), 0, 2e-6);
        Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(ws.RhsA.View), residuals), 0, 1e-6);
        Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(ws.BlocksA.View), blocks), 0, 2e-6);
        Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(ws.BlocksB.View), reversed), 0, 1e-5);
    }

    /// <summary>
    /// The update kernel: next = z + d, ratio = max |d| / (atol + rtol |z|), residual = max |f - z|, update = max |d|; a NaN
    /// anywhere makes the ratio NaN (never a small number).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UpdateAndMeasure(bool withNaN)
    {
        const int layers = 16, width = 8, batch = 2;
        var (model, problem) = Problems.Make(layers, width, batch);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        var random = new Gaussian(9);
        int n = ws.Dims.States;
        var z = Array.ConvertAll(random.Next(n, 1.0), v => (float)v);
        var dd = Array.ConvertAll(random.Next(n, 1e-3), v => (float)v);
        var f = Array.ConvertAll(random.Next(n, 1.0), v => (float)v);
        if (withNaN) dd[n / 2] = float.NaN;
        ws.Write(ws.States.View, z);
        ws.Write(ws.RhsB.View, dd);
        ws.Write(ws.Outputs.View, f);
        ws.Flags.MemSetToZero();
        var shape = LaunchShapes.Reduction(fixture.Device.Accelerator, n);
        fixture.Device.Kernels.UpdateAndMeasure(fixture.Device.Stream, shape, n, 0, ws.States.View, ws.RhsB.View, ws.Outputs.View, ws.Next.View, ws.Flags.View, 1e-6f, 1e-5f);
        fixture.Device.Synchronize();
        var flags = ws.Flags.GetAsArray1D();
        double ratio = NewtonKernels.FromOrderedBits(flags[NewtonKernels.RatioSlot]);
        double residual = NewtonKernels.FromOrderedBits(flags[NewtonKernels.ResidualSlot]);

        Assert.Equal(f.Select((v, e) => (double)Math.Abs(v - z[e])).Max(), residual, 1e-6);
        if (withNaN)
        {
            Assert.True(double.IsNaN(ratio));
            return;
        }
        double expected = dd.Select((v, e) => Math.Abs((double)(z[e] + v) - z[e]) / (1e-6 + 1e-5 * Math.Abs(z[e]))).Max();
        Assert.Equal(expected, ratio, expected * 1e-5);
        double update = NewtonKernels.FromOrderedBits(flags[NewtonKernels.UpdateSlot]);
        double largest = dd.Select((v, e) => Math.Abs((double)(z[e] + v) - z[e])).Max();
        Assert.Equal(largest, update, largest * 1e-6);
        Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(ws.Next.View), z.Select((v, e) => (double)v + dd[e]).ToArray()), 0, 1e-7);
    }

    /// <summary>The DEER form and the correction form compute the same Newton iterate (from the cold guess and from a later one).</summary>
    [Theory]
    [InlineData("one-group")]
    [InlineData("per-entry")]
    public void DeerFormGivesTheSameIterate(string path)
    {
        var (model, problem) = Problems.Make(16, 3, 2);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        var options = Problems.Path(path);
        ws.States.MemSetToZero();
        for (int step = 0; step < 2; step++)
        {
            FusedIteration.Correction(ws, options);
            var correction = ws.Read(ws.Next.View);
            FusedIteration.Deer(ws, options);
            var deer = ws.Read(ws.Next.View);
            Assert.InRange(ErrorMeasure.PooledRelative(deer, correction), 0, 1e-5);
            ws.SwapStates();
        }
    }
}
