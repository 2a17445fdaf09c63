using DeepPcr.Recurrent;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests.Recurrent;

/// <summary>
/// gru and lstm against TorchSharp's own nn.GRU / nn.LSTM (libtorch's kernels) on the same weights, float64: outputs,
/// h_n, c_n and the gradients of x, h0, c0 and the four weight tensors within 1e-10 relative, by DEER and sequentially;
/// and without biases.
/// </summary>
public class TorchModuleAgreementTests
{
    [Theory]
    [InlineData(RecurrentCell.Gru, true)]
    [InlineData(RecurrentCell.Lstm, true)]
    [InlineData(RecurrentCell.Gru, false)]
    [InlineData(RecurrentCell.Lstm, false)]
    public void TheCellsEqualTorchSharpsModules(RecurrentCell cell, bool bias)
    {
        using var scope = torch.NewDisposeScope();
        const int steps = 37, batch = 3, input = 4, hidden = 5;
        nn.Module module = cell == RecurrentCell.Gru
            ? nn.GRU(input, hidden, bias: bias, dtype: ScalarType.Float64)
            : nn.LSTM(input, hidden, bias: bias, dtype: ScalarType.Float64);
        var parameters = module.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var weights = RecurrentWeights.Create(cell, parameters["weight_ih_l0"], parameters["weight_hh_l0"],
            bias ? parameters["bias_ih_l0"] : null, bias ? parameters["bias_hh_l0"] : null);
        var (x, h0, c0) = RecurrentReference.Inputs(cell, steps, batch, input, hidden, ScalarType.Float64, seed: 11);
        var leaves = RecurrentReference.Leaves(x, h0, c0, weights);

        (Tensor Output, Tensor HN, Tensor? CN) expected;
        if (module is nn.Module<Tensor, Tensor?, (Tensor, Tensor)> gru)
        {
            var (output, hn) = gru.call(x, h0.unsqueeze(0));
            expected = (output, hn.squeeze(0), null);
        }
        else
        {
            var lstm = (nn.Module<Tensor, (Tensor, Tensor)?, (Tensor, Tensor, Tensor)>)module;
            var (output, hn, cn) = lstm.call(x, (h0.unsqueeze(0), c0!.unsqueeze(0)));
            expected = (output, hn.squeeze(0), cn.squeeze(0));
        }
        var cotangents = RecurrentScanTests.Cotangents(expected, seed: 3);
        var expectedGrads = torch.autograd.grad(new[] { RecurrentScanTests.Loss(expected, cotangents) }, leaves);

        foreach (var solver in new IChainSolver[] { ParallelChainSolver.DeepPcr, SequentialSolver.Instance })
        {
            using var result = RecurrentScan.Apply(cell, x, weights, h0, c0, solver);
            RecurrentScanTests.AssertClose(result.Output, expected.Output, 1e-10, "output");
            RecurrentScanTests.AssertClose(result.HN, expected.HN, 1e-10, "h_n");
            if (c0 is not null) RecurrentScanTests.AssertClose(result.CN!, expected.CN!, 1e-10, "c_n");
            var grads = torch.autograd.grad(new[] { RecurrentScanTests.Loss((result.Output, result.HN, result.CN), cotangents) }, leaves);
            for (int i = 0; i < leaves.Count; i++) RecurrentScanTests.AssertClose(grads[i], expectedGrads[i], 1e-10, $"{solver.Name} gradient {i}");
        }
    }
}
