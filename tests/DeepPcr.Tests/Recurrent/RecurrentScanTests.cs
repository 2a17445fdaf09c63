using DeepPcr.Recurrent;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests.Recurrent;

/// <summary>
/// Every cell through <see cref="RecurrentScan.Apply"/> with every solver against the plain sequential loop of its
/// equations (<see cref="RecurrentReference"/>), float64: outputs, h_T, c_T and the gradients of x, h0, c0 and each
/// weight tensor, each within 1e-10 of the reference relative to that tensor's largest value. The loss puts a random
/// cotangent on every output, on h_T and on c_T. Parallel solvers must converge without a fallback.
/// </summary>
public class RecurrentScanTests
{
    public static TheoryData<RecurrentCell, int, int, int> Sizes()
    {
        var data = new TheoryData<RecurrentCell, int, int, int>();
        foreach (var cell in Enum.GetValues<RecurrentCell>())
        {
            foreach (int steps in new[] { 1, 2, 3, 5 })
            foreach (int hidden in new[] { 1, 3, 8 })
            foreach (int batch in new[] { 1, 3 })
                data.Add(cell, steps, hidden, batch);
            data.Add(cell, 1000, 3, 3);
            data.Add(cell, 1000, 8, 1);
        }
        return data;
    }

    /// <summary>The solvers of a cell: sequential, DEER, quasi-DEER (not for gru-diag, whose exact Jacobian is diagonal), ELK.</summary>
    internal static IEnumerable<IChainSolver> Solvers(RecurrentCell cell)
    {
        yield return SequentialSolver.Instance;
        yield return ParallelChainSolver.DeepPcr;
        if (cell != RecurrentCell.GruDiag) yield return ParallelChainSolver.QuasiNewton(Chains.JacobianStructure.Diagonal);
        yield return DampedNewtonSolver.Instance;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void EverySolverMatchesTheSequentialLoop(RecurrentCell cell, int steps, int hidden, int batch)
    {
        using var scope = torch.NewDisposeScope();
        const int input = 2;
        var weights = RecurrentReference.Weights(cell, input, hidden, ScalarType.Float64, seed: steps * 31 + hidden);
        var (x, h0, c0) = RecurrentReference.Inputs(cell, steps, batch, input, hidden, ScalarType.Float64, seed: steps + hidden + batch);
        var leaves = RecurrentReference.Leaves(x, h0, c0, weights);
        var reference = RecurrentReference.Run(cell, x, weights, h0, c0);
        var cotangents = Cotangents(reference, seed: 5);
        var expected = torch.autograd.grad(new[] { Loss(reference, cotangents) }, leaves);

        foreach (var solver in Solvers(cell))
        {
            using var result = RecurrentScan.Apply(cell, x, weights, h0, c0, solver);
            if (solver is not SequentialSolver)
            {
                Assert.Equal(Termination.Converged, result.Solution.Termination);
                Assert.Equal(Fallback.None, result.Solution.Fallback);
            }
            // Exact Newton and the sequential pass run in the host kernels on CPU float64; quasi-DEER and ELK on TorchSharp operations.
            bool host = solver is SequentialSolver || solver == ParallelChainSolver.DeepPcr;
            Assert.Equal(host ? ChainEngine.Host : ChainEngine.Torch, result.Solution.Engine);
            AssertClose(result.Output, reference.Output, 1e-10, $"{solver.Name} output");
            AssertClose(result.HN, reference.HN, 1e-10, $"{solver.Name} h_n");
            if (c0 is not null) AssertClose(result.CN!, reference.CN!, 1e-10, $"{solver.Name} c_n");
            else Assert.Null(result.CN);

            var actual = torch.autograd.grad(new[] { Loss((result.Output, result.HN, result.CN), cotangents) }, leaves);
            for (int i = 0; i < leaves.Count; i++) AssertClose(actual[i], expected[i], 1e-10, $"{solver.Name} gradient {i}");
            Assert.NotNull(result.Adjoint);
            Assert.Equal(Fallback.None, result.Adjoint!.Fallback);
            Assert.Equal(ChainEngine.Host, result.Adjoint.Engine);
        }
    }

    internal static (Tensor, Tensor, Tensor?) Cotangents((Tensor Output, Tensor HN, Tensor? CN) outputs, long seed)
    {
        var g = new Generator((ulong)seed);
        Tensor Like(Tensor t) => torch.randn(t.shape, dtype: t.dtype, generator: g);
        return (Like(outputs.Output), Like(outputs.HN), outputs.CN is null ? null : Like(outputs.CN));
    }

    internal static Tensor Loss((Tensor Output, Tensor HN, Tensor? CN) outputs, (Tensor Output, Tensor HN, Tensor? CN) cotangents)
    {
        var loss = (outputs.Output * cotangents.Output).sum() + (outputs.HN * cotangents.HN).sum();
        return outputs.CN is null ? loss : loss + (outputs.CN * cotangents.CN!).sum();
    }

    internal static void AssertClose(Tensor actual, Tensor expected, double tolerance, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        double error = RecurrentReference.RelativeError(actual.detach(), expected.detach());
        Assert.True(error <= tolerance, $"{what}: relative error {error:g3} above {tolerance:g1}");
    }
}
