using DeepPcr.Gpu.Engine;
using DeepPcr.Gpu.Recurrent;
using DeepPcr.Gpu.Reference;

namespace DeepPcr.Gpu.Tests;

/// <summary>
/// The float64 reference is the yardstick of the recurrent engine, so it is checked on its own: its gradients against
/// central finite differences of the loss sum(cotangent ⊙ output), its equations against hand-computed values, and the
/// model and problem validation.
/// </summary>
public sealed class RecurrentReferenceTests
{
    /// <summary>Every gradient tensor of the reference agrees with central differences (step 1e-6) to 1e-6 relative to its largest entry.</summary>
    [Theory]
    [InlineData("gru-diag")]
    [InlineData("lstm-cifg-diag")]
    public void GradientsMatchFiniteDifferences(string cell)
    {
        var (model, problem) = RecurrentProblems.Make(cell, 4, 3, 2, seed: 9, inputSize: 2);
        var grads = RecurrentReference.Backward(model, problem, RecurrentReference.Forward(model, problem));
        double[][] parameters = [problem.Input, problem.InitialState, model.WeightIh, model.WeightHh, model.BiasIh, model.BiasHh];
        for (int p = 0; p < parameters.Length; p++)
        {
            var values = parameters[p];
            var numeric = new double[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                double keep = values[i];
                values[i] = keep + 1e-6;
                double up = Loss(model, problem);
                values[i] = keep - 1e-6;
                double down = Loss(model, problem);
                values[i] = keep;
                numeric[i] = (up - down) / 2e-6;
            }
            Assert.InRange(ErrorMeasure.PooledRelative(grads.All[p], numeric), 0, 1e-6);
        }
    }

    /// <summary>One gru-diag step at H = I = 1 by hand: r, z, n and h' from the equations of issue 23.</summary>
    [Fact]
    public void GruStepByHand()
    {
        var model = new RecurrentModel(RecurrentCell.GruDiag, 1, 1, [0.5, -0.25, 1.5], [0.3, 0.7, -0.4], [0.1, 0.2, 0.3], [-0.1, 0.05, 0.2]);
        var problem = new RecurrentProblem(1, 1, model, [0.8], [0.6], [1.0]);
        double x = 0.8, h = 0.6;
        double r = Sigmoid(0.5 * x + 0.1 + 0.3 * h - 0.1), z = Sigmoid(-0.25 * x + 0.2 + 0.7 * h + 0.05);
        double n = Math.Tanh(1.5 * x + 0.3 + r * (-0.4 * h + 0.2));
        Assert.Equal((1 - z) * n + z * h, RecurrentReference.Forward(model, problem)[0], 15);
    }

    /// <summary>One lstm-cifg-diag step at H = I = 1 by hand: c' = f c + (1 - f) g, h' = o tanh(c').</summary>
    [Fact]
    public void LstmCifgStepByHand()
    {
        var model = new RecurrentModel(RecurrentCell.LstmCifgDiag, 1, 1, [0.5, -0.25, 1.5], [0.3, 0.7, -0.4], [0.1, 0.2, 0.3], [-0.1, 0.05, 0.2]);
        var problem = new RecurrentProblem(1, 1, model, [0.8], [0.6, -0.3], [1.0]);
        double x = 0.8, h = 0.6, c = -0.3;
        double f = Sigmoid(0.5 * x + 0.1 + 0.3 * h - 0.1), g = Math.Tanh(-0.25 * x + 0.2 + 0.7 * h + 0.05), o = Sigmoid(1.5 * x + 0.3 - 0.4 * h + 0.2);
        double cNext = f * c + (1 - f) * g;
        var states = RecurrentReference.Forward(model, problem);
        Assert.Equal(o * Math.Tanh(cNext), states[0], 15);
        Assert.Equal(cNext, states[1], 15);
    }

    /// <summary>Bad shapes, non-finite values, unknown cells and index spaces above int are refused with the tensor named.</summary>
    [Fact]
    public void BadInputIsRefused()
    {
        Assert.Contains("weight_hh", Assert.Throws<ArgumentException>(() => new RecurrentModel(RecurrentCell.GruDiag, 2, 1, new double[6], new double[5], new double[6], new double[6])).Message);
        Assert.Contains("bias_ih", Assert.Throws<ArgumentException>(() => new RecurrentModel(RecurrentCell.GruDiag, 1, 1, new double[3], new double[3], [0, double.NaN, 0], new double[3])).Message);
        Assert.Contains("gru, lstm", Assert.Throws<ArgumentException>(() => RecurrentCells.Parse("gru, lstm")).Message);
        var model = RecurrentModel.Random(RecurrentCell.LstmCifgDiag, 2, 1, 1);
        Assert.Contains("initial state", Assert.Throws<ArgumentException>(() => new RecurrentProblem(1, 2, model, new double[2], new double[2], new double[4])).Message);
        Assert.Contains("int", Assert.Throws<ArgumentException>(() => RecurrentWorkspace.DimsFor(RecurrentModel.Random(RecurrentCell.LstmCifgDiag, 64, 64, 1), 8, 1 << 20)).Message);
    }

    /// <summary>The memory estimate grows with T and counts the BlockDiagonal(2) blocks four times the diagonal's.</summary>
    [Fact]
    public void MemoryEstimateCountsTheBuffers()
    {
        var gru = RecurrentWorkspace.DimsFor(RecurrentModel.Random(RecurrentCell.GruDiag, 8, 8, 1), 1, 1024);
        var lstm = RecurrentWorkspace.DimsFor(RecurrentModel.Random(RecurrentCell.LstmCifgDiag, 8, 8, 1), 1, 1024);
        long gruBytes = RecurrentWorkspace.BytesFor(gru), lstmBytes = RecurrentWorkspace.BytesFor(lstm);
        Assert.True(gruBytes > 1024L * 8 * 4 * 10);
        Assert.True(lstmBytes > gruBytes);
        Assert.True(RecurrentWorkspace.BytesFor(RecurrentWorkspace.DimsFor(RecurrentModel.Random(RecurrentCell.GruDiag, 8, 8, 1), 1, 2048)) > gruBytes);
    }

    private static double Loss(RecurrentModel model, RecurrentProblem problem)
    {
        var states = RecurrentReference.Forward(model, problem);
        int h = model.Hidden, s = model.StateWidth;
        double sum = 0;
        for (long row = 0; row < (long)problem.Batch * problem.Length; row++)
            for (int i = 0; i < h; i++) sum += problem.Cotangent[row * h + i] * states[row * s + i];
        return sum;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
