using DeepPcr.Cli.Rnn;
using DeepPcr.Recurrent;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests.Rnn;

/// <summary>
/// The TorchSharp baselines of `bench rnn` compute the cells they claim to, in float64: nn.GRUCell / nn.LSTMCell
/// called step by step against nn.GRU / nn.LSTM, and the diagonal loops against the cells library's sequential solver,
/// outputs and every gradient (input and the four parameters, in PyTorch's order), to 1e-10 relative.
/// </summary>
public sealed class RnnBaselineTests
{
    private const double Tolerance = 1e-10;

    public static TheoryData<string, int, int, int> Sizes()
    {
        var data = new TheoryData<string, int, int, int>();
        foreach (string cell in new[] { "gru", "lstm", "gru-diag", "lstm-cifg-diag" })
        foreach (var (t, h, b) in new[] { (1, 1, 1), (2, 3, 1), (3, 8, 3), (5, 3, 3) })
        {
            data.Add(cell, t, h, b);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void TheCellLoopAgreesWithTheLibrarysSequentialPassInFloat64(string cell, int steps, int hidden, int batch)
    {
        using var scope = torch.NewDisposeScope();
        var point = new RnnPoint(cell, steps, hidden, batch, Inputs: hidden + 1, Seed: 3, Repeats: 1);
        var tensors = RnnTensors.Draw(point);
        using var loop = TorchRnn.CellLoop(point, tensors);
        using var library = new LibraryRnn(point, tensors, SequentialSolver.Instance, null);
        var expected = new RnnColumn("library", library.Forward, library.Parameters, "").Results(tensors.Input, tensors.Cotangent, backward: true);
        var found = new RnnColumn("loop", loop.Forward, loop.Parameters, "").Results(tensors.Input, tensors.Cotangent, backward: true);
        Assert.Equal(6, found.Count);
        for (int i = 0; i < found.Count; i++)
        {
            Assert.Equal(expected[i].shape, found[i].shape);
            double scale = Math.Max(1e-300, expected[i].abs().max().ToDouble());
            Assert.True((found[i] - expected[i]).abs().max().ToDouble() / scale < Tolerance, $"{cell} tensor {i}: {(found[i] - expected[i]).abs().max().ToDouble() / scale:E2}");
        }
    }

    [Theory]
    [InlineData("gru")]
    [InlineData("lstm")]
    public void TheModuleAndTheCellLoopAgree(string cell)
    {
        using var scope = torch.NewDisposeScope();
        var point = new RnnPoint(cell, 7, 5, 2, 4, 11, 1);
        var tensors = RnnTensors.Draw(point);
        using var module = TorchRnn.Module(point, tensors)!;
        using var loop = TorchRnn.CellLoop(point, tensors);
        Assert.Equal(cell == "gru" ? "nn.GRU" : "nn.LSTM", module.Implementation);
        var a = new RnnColumn("m", module.Forward, module.Parameters, "").Results(tensors.Input, tensors.Cotangent, true);
        var b = new RnnColumn("l", loop.Forward, loop.Parameters, "").Results(tensors.Input, tensors.Cotangent, true);
        for (int i = 0; i < a.Count; i++) Assert.True(a[i].allclose(b[i], rtol: 1e-10, atol: 1e-12), $"tensor {i}");
    }

    [Fact]
    public void TheDiagonalCellsHaveNoModuleButADenseOneOfTheSameSize()
    {
        using var scope = torch.NewDisposeScope();
        var point = new RnnPoint("lstm-cifg-diag", 4, 3, 2, 3, 0, 1);
        Assert.Null(TorchRnn.Module(point, RnnTensors.Draw(point)));
        using var dense = TorchRnn.DenseModule(point, ScalarType.Float32);
        Assert.Equal("nn.LSTM", dense.Implementation);
        Assert.Equal(new long[] { 4, 2, 3 }, dense.Forward(torch.randn(4, 2, 3)).shape);
    }

    [Fact]
    public void TheWeightsFollowPyTorchsDefaultInitialisationAndTheSeed()
    {
        using var scope = torch.NewDisposeScope();
        var point = new RnnPoint("gru-diag", 16, 64, 4, 64, 5, 1);
        var a = RnnTensors.Draw(point);
        var b = RnnTensors.Draw(point);
        Assert.Equal(new long[] { 192 }, a.WeightHh.shape);
        Assert.Equal(new long[] { 192, 64 }, a.WeightIh.shape);
        Assert.True(a.WeightIh.allclose(b.WeightIh, rtol: 0, atol: 0));
        Assert.True(a.Input.allclose(b.Input, rtol: 0, atol: 0));
        foreach (var (_, w) in a.Parameters()) Assert.True(w.abs().max().ToDouble() <= 1 / Math.Sqrt(64));
        Assert.True(a.WeightIh.abs().max().ToDouble() > 0.9 / Math.Sqrt(64));
        Assert.False(RnnTensors.Draw(point with { Seed = 6 }).WeightIh.allclose(a.WeightIh, rtol: 0, atol: 0));
    }

    [Fact]
    public void PointsTooLargeForMemoryAreRefusedWithTheEstimate()
    {
        var huge = new RnnPoint("lstm", 1 << 30, 64, 8, 64, 0, 1);
        string? reason = RnnLimits.MemoryRefusal(huge);
        Assert.NotNull(reason);
        Assert.Contains("Jacobians", reason);
        Assert.Null(RnnLimits.MemoryRefusal(new RnnPoint("gru-diag", 256, 8, 1, 8, 0, 1)));
        double diagonal = RnnLimits.Memory(new RnnPoint("gru-diag", 4096, 64, 8, 64, 0, 1)).TotalBytes;
        double dense = RnnLimits.Memory(new RnnPoint("gru", 4096, 64, 8, 64, 0, 1)).TotalBytes;
        Assert.True(dense > 4 * diagonal, $"dense {dense} vs diagonal {diagonal}");
    }
}
