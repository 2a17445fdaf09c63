using DeepPcr.Gpu.Engine;
using DeepPcr.Gpu.Recurrent;
using DeepPcr.Gpu.Reference;
using DeepPcr.Recurrent;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;
using HostCell = DeepPcr.Recurrent.RecurrentCell;

namespace DeepPcr.Gpu.Tests;

/// <summary>
/// The device's recurrent cells against the host engine's (issue 23: <see cref="RecurrentScan.Apply"/> with DeepPCR on
/// float64 tensors, gradients by TorchSharp autograd through its adjoint solve), on the same weights and inputs: the host
/// engine agrees with this project's float64 reference to 1e-10 (two independent float64 implementations of the
/// equations), and the device engine (float32) with the host engine to 1e-4, outputs and every gradient.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class HostEngineParityTests(CpuDeviceFixture fixture)
{
    [Theory]
    [InlineData("gru-diag", 1, 3, 1)]
    [InlineData("gru-diag", 5, 3, 3)]
    [InlineData("gru-diag", 1000, 8, 3)]
    [InlineData("lstm-cifg-diag", 1, 3, 1)]
    [InlineData("lstm-cifg-diag", 5, 3, 3)]
    [InlineData("lstm-cifg-diag", 1000, 8, 3)]
    public void DeviceAndHostEnginesAgree(string cell, int length, int hidden, int batch)
    {
        var (model, problem) = RecurrentProblems.Make(cell, length, hidden, batch, seed: 17);
        var (hostOutput, hostGradients) = HostEngine(model, problem);

        var referenceStates = RecurrentReference.Forward(model, problem);
        var reference = RecurrentReference.Backward(model, problem, referenceStates);
        Assert.InRange(ErrorMeasure.PooledRelative(hostOutput, HiddenPart(referenceStates, model)), 0, 1e-10);
        for (int i = 0; i < hostGradients.Length; i++) Assert.InRange(ErrorMeasure.PooledRelative(hostGradients[i], reference.All[i]), 0, 1e-10);

        using var ws = new RecurrentWorkspace(fixture.Device, model, problem);
        Assert.Equal(Termination.Converged, RecurrentForward.Run(ws, EngineOptions.Default).Termination);
        Assert.InRange(ErrorMeasure.PooledRelative(HiddenPart(ws.ReadStates(ws.States.View), model), hostOutput), 0, 1e-4);
        Assert.Equal(Fallback.None, RecurrentAdjoint.Run(ws, ws.States.View).Fallback);
        var device = ws.ReadGradients();
        for (int i = 0; i < hostGradients.Length; i++)
        {
            double error = ErrorMeasure.PooledRelative(device.All[i], hostGradients[i]);
            Assert.True(error <= 1e-4, $"gradient {i}: {error:E2} against the host engine");
        }
    }

    /// <summary>The host engine's output [B, T, H] and gradients in <see cref="RecurrentGradients.All"/>'s order, float64.</summary>
    private static (double[] Output, double[][] Gradients) HostEngine(RecurrentModel model, RecurrentProblem problem)
    {
        using var scope = torch.NewDisposeScope();
        int b = problem.Batch, t = problem.Length, h = model.Hidden, s = model.StateWidth, inputs = model.InputSize;
        Tensor Leaf(double[] values, params long[] shape) => torch.tensor(values, dtype: ScalarType.Float64).reshape(shape).requires_grad_(true);
        var x = Leaf(problem.Input, b, t, inputs);
        var state = Leaf(problem.InitialState, b, s);
        var weightIh = Leaf(model.WeightIh, 3 * h, inputs);
        var weightHh = Leaf(model.WeightHh, 3 * h);
        var biasIh = Leaf(model.BiasIh, 3 * h);
        var biasHh = Leaf(model.BiasHh, 3 * h);
        var cell = model.Cell == Recurrent.RecurrentCell.GruDiag ? HostCell.GruDiag : HostCell.LstmCifgDiag;
        var c0 = s == h ? null : state.narrow(1, h, h);
        using var result = RecurrentScan.Apply(cell, x.transpose(0, 1).contiguous(), RecurrentWeights.Create(cell, weightIh, weightHh, biasIh, biasHh),
            state.narrow(1, 0, h), c0, ParallelChainSolver.DeepPcr);
        var output = result.Output.transpose(0, 1).contiguous();                   // [B, T, H]
        var cotangent = torch.tensor(problem.Cotangent, dtype: ScalarType.Float64).reshape(b, t, h);
        var grads = torch.autograd.grad(new[] { (output * cotangent).sum() }, new[] { x, state, weightIh, weightHh, biasIh, biasHh });
        return (output.detach().data<double>().ToArray(), grads.Select(g => g.contiguous().data<double>().ToArray()).ToArray());
    }

    /// <summary>The h entries [B, T, H] of states [B, T, S].</summary>
    private static double[] HiddenPart(double[] states, RecurrentModel model)
    {
        int h = model.Hidden, s = model.StateWidth;
        long rows = states.LongLength / s;
        var hidden = new double[rows * h];
        for (long row = 0; row < rows; row++) Array.Copy(states, row * s, hidden, row * h, h);
        return hidden;
    }
}
