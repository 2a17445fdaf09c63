using DeepPcr.Chains;
using DeepPcr.Engines;
using DeepPcr.Linear;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// Block-diagonal blocks (k x k blocks of diagonals, the structure of ParaRNN's LSTM-CIFG cell) against their dense
/// matrices, float64: every operation of the strategy exactly (1e-14 relative), PCR on the TorchSharp path, the host
/// row-major kernel and chunked PCR against forward substitution on the dense blocks (4 w L eps max(1, max |z|)), and a
/// step that declares the structure solved by DeepPCR and quasi-Newton against the sequential pass (1e-9).
/// </summary>
public class BlockDiagonalTests
{
    private static Tensor Blocks(long n, long batch, int k, long h, long seed, double scale = 0.4) =>
        torch.randn(new long[] { n, batch, k, k, h }, dtype: ScalarType.Float64, generator: new Generator((ulong)seed)) * scale;

    [Theory]
    [InlineData(2, 1)]
    [InlineData(2, 3)]
    [InlineData(3, 2)]
    public void TheStrategyAgreesWithDenseMatrices(int k, int h)
    {
        using var scope = torch.NewDisposeScope();
        var structure = BlockStructure.BlockDiagonal(k);
        long w = k * h;
        var a = Blocks(4, 2, k, h, seed: 1);
        var b = Blocks(4, 2, k, h, seed: 2);
        var v = torch.randn(new long[] { 4, 2, w }, dtype: ScalarType.Float64, generator: new Generator(3));
        var da = structure.ToDense(a, w);
        var db = structure.ToDense(b, w);
        Assert.Equal(new long[] { 4, 2, w, w }, da.shape);
        Assert.InRange(Recurrences.MaxAbsDiff(structure.Apply(a, v), torch.matmul(da, v.unsqueeze(-1)).squeeze(-1)), 0.0, 1e-14);
        Assert.InRange(Recurrences.MaxAbsDiff(structure.ToDense(structure.Compose(a, b), w), torch.matmul(da, db)), 0.0, 1e-14);
        Assert.InRange(Recurrences.MaxAbsDiff(structure.ToDense(structure.Transpose(a), w), da.transpose(-1, -2)), 0.0, 0.0);
        Assert.InRange(Recurrences.MaxAbsDiff(structure.FromDense(da), a), 0.0, 0.0);
        // Off-block-diagonal entries of the dense matrix are zero: row i h + m reads only columns j h + m.
        Assert.Equal(k * k * h * 4 * 2, (int)da.ne(0).sum().ToInt64());
    }

    public static TheoryData<int, int> Sizes()
    {
        var data = new TheoryData<int, int>();
        foreach (int length in new[] { 1, 2, 3, 5, 1000 })
        foreach (int h in new[] { 1, 3 })
            data.Add(length, h);
        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void PcrOnBlockDiagonalBlocksEqualsForwardSubstitution(int length, int h)
    {
        using var scope = torch.NewDisposeScope();
        const int k = 2;
        var structure = BlockStructure.BlockDiagonal(k);
        long w = k * h;
        var a = Blocks(length, 2, k, h, seed: length + h);
        var c = torch.randn(new long[] { length, 2, w }, dtype: ScalarType.Float64, generator: new Generator(5));
        var z0 = torch.randn(new long[] { 2, w }, dtype: ScalarType.Float64, generator: new Generator(6));
        var reference = ForwardSubstitution.Solve(new LinearRecurrence(BlockStructure.Dense, structure.ToDense(a, w), c, z0)).States;
        double bound = 4.0 * w * length * 2.2e-16 * Math.Max(1.0, Recurrences.MaxAbs(reference));
        var recurrence = new LinearRecurrence(structure, a, c, z0);

        var torchOps = ParallelCyclicReduction.SolveWithTorchOps(recurrence);
        var host = ParallelCyclicReduction.SolveOnHost(recurrence, HostPcrKernel.RowMajor);
        var chunked = ChunkedPcr.Solve(recurrence, 7);
        foreach (var solution in new[] { torchOps, host, chunked })
        {
            Assert.InRange(Recurrences.MaxAbsDiff(solution.States, reference), 0.0, bound);
        }
        Assert.Equal(ParallelCyclicReduction.RoundsFor(length), torchOps.Rounds);
        Assert.Equal(ParallelCyclicReduction.RoundsFor(length), host.Rounds);
    }

    /// <summary>
    /// z' = tanh(p ⊙ z + q ⊙ swap(z) + b), swap exchanging the two halves of z: its Jacobian is 2 x 2 blocks of diagonals,
    /// [[diag(s p1), diag(s q1)], [diag(s q2), diag(s p2)]] with s = tanh'.
    /// </summary>
    private sealed class CoupledStep(Tensor p, Tensor q, Tensor b) : IChainStep, IBlockDiagonalJacobian
    {
        public int Length => (int)p.shape[0];
        public int Width => (int)p.shape[1];
        public int JacobianBlocks => 2;
        public JacobianStructure JacobianStructure => JacobianStructure.BlockDiagonal;

        private Tensor Swap(Tensor z) => torch.cat(new[] { z.narrow(-1, Width / 2, Width / 2), z.narrow(-1, 0, Width / 2) }, -1);

        public Tensor Evaluate(int first, Tensor inputs)
        {
            long n = inputs.shape[0];
            return (p.narrow(0, first, n).unsqueeze(1) * inputs + q.narrow(0, first, n).unsqueeze(1) * Swap(inputs) + b.narrow(0, first, n).unsqueeze(1)).tanh();
        }

        public Tensor? Jacobian(int first, Tensor inputs)
        {
            long n = inputs.shape[0], batch = inputs.shape[1], h = Width / 2;
            var s = 1 - Evaluate(first, inputs).square();                                        // (n, B, w)
            var pp = p.narrow(0, first, n).unsqueeze(1) * s;
            var qq = q.narrow(0, first, n).unsqueeze(1) * s;
            // Row half i reads column half i through p and the other half through q.
            var top = torch.stack(new[] { pp.narrow(-1, 0, h), qq.narrow(-1, 0, h) }, -2);        // (n, B, 2, h)
            var bottom = torch.stack(new[] { qq.narrow(-1, h, h), pp.narrow(-1, h, h) }, -2);
            return torch.stack(new[] { top, bottom }, -3);                                       // (n, B, 2, 2, h)
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 3)]
    [InlineData(1000, 3)]
    public void AStepThatDeclaresTheStructureSolvesLikeTheSequentialPass(int length, int h)
    {
        using var scope = torch.NewDisposeScope();
        var g = new Generator((ulong)(length + h));
        long w = 2 * h;
        var step = new CoupledStep(torch.randn(new long[] { length, w }, dtype: ScalarType.Float64, generator: g) * 0.6,
            torch.randn(new long[] { length, w }, dtype: ScalarType.Float64, generator: g) * 0.6,
            torch.randn(new long[] { length, w }, dtype: ScalarType.Float64, generator: g) * 0.1);
        var input = torch.randn(new long[] { 2, w }, dtype: ScalarType.Float64, generator: g);
        var reference = SequentialPass.Run(step, input);

        var autograd = AutogradJacobian.Compute(step, 0, ChainStates.Shift(input, reference), BlockStructure.Of(step));
        Assert.InRange(Recurrences.MaxAbsDiff(autograd, step.Jacobian(0, ChainStates.Shift(input, reference))!), 0.0, 1e-12);
        foreach (var solver in new[] { ParallelChainSolver.DeepPcr, ParallelChainSolver.QuasiNewton(JacobianStructure.Diagonal) })
        {
            var result = solver.Solve(step, input);
            Assert.Equal(Termination.Converged, result.Termination);
            Assert.Equal(Fallback.None, result.Fallback);
            Assert.InRange(Recurrences.MaxAbsDiff(result.States, reference), 0.0, 1e-9 * Math.Max(1.0, Recurrences.MaxAbs(reference)));
        }

        // The backward pass transposes the blocks: its input gradient equals autograd's through the sequential pass.
        var cotangent = torch.randn(new long[] { 2, w }, dtype: ScalarType.Float64, generator: g);
        var x = input.clone().requires_grad_(true);
        var expected = torch.autograd.grad(new[] { SequentialPass.Run(step, x)[length - 1] }, new[] { x }, new[] { cotangent })[0];
        var adjoint = Backward.AdjointSolver.Solve(step, input, reference, cotangent);
        Assert.InRange(Recurrences.MaxAbsDiff(adjoint.InputGradient, expected), 0.0, 1e-10 * Math.Max(1.0, Recurrences.MaxAbs(expected)));
    }
}
