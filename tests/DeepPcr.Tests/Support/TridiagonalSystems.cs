using DeepPcr.Linear;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests.Support;

/// <summary>Random block-tridiagonal systems and two references to solve them: a dense solve and block Thomas.</summary>
public static class TridiagonalSystems
{
    /// <summary>Block diagonally dominant: couplings N(0, 1/w), diagonal 8 I + N(0, 1/w) (||D^-1|| (||L|| + ||U||) &lt; 1).</summary>
    public static BlockTridiagonalSystem Dominant(int length, int batch, int width, long seed)
    {
        var g = new Generator((ulong)seed);
        Tensor Blocks() => torch.randn(new long[] { length, batch, width, width }, dtype: ScalarType.Float64, generator: g) / Math.Sqrt(width);
        var diagonal = Blocks() + 8.0 * torch.eye(width, dtype: ScalarType.Float64);
        return new BlockTridiagonalSystem(Blocks(), diagonal, Blocks(), Rhs(length, batch, width, g));
    }

    /// <summary>
    /// Symmetric positive definite: J^T J + lambda I for the block-bidiagonal J of a chain (I on the diagonal,
    /// -A_l below, A_l ~ N(0, gain^2 / w)), assembled here independently of the solver's own assembly.
    /// </summary>
    public static BlockTridiagonalSystem NormalEquations(int length, int batch, int width, double gain, double lambda, long seed)
    {
        var g = new Generator((ulong)seed);
        var a = torch.randn(new long[] { length, batch, width, width }, dtype: ScalarType.Float64, generator: g) * (gain / Math.Sqrt(width));
        var eye = torch.eye(width, dtype: ScalarType.Float64);
        var lower = -a;                                                    // row l couples to l - 1 through -A_l
        var upper = torch.zeros_like(a);
        var diagonal = (1 + lambda) * eye.expand(length, batch, width, width).clone();
        for (int l = 0; l < length - 1; l++)
        {
            upper[l] = -a[l + 1].transpose(-1, -2);
            diagonal[l] += torch.matmul(a[l + 1].transpose(-1, -2), a[l + 1]);
        }
        return new BlockTridiagonalSystem(lower, diagonal, upper, Rhs(length, batch, width, g));
    }

    private static Tensor Rhs(int length, int batch, int width, Generator g) =>
        torch.randn(new long[] { length, batch, width }, dtype: ScalarType.Float64, generator: g);

    /// <summary>(n, B, w): the solution by assembling each sample's (n w x n w) matrix and one dense solve.</summary>
    public static Tensor DenseSolve(BlockTridiagonalSystem s)
    {
        int n = s.Length, batch = (int)s.Rhs.shape[1], w = (int)s.Rhs.shape[2];
        var matrix = torch.zeros(new long[] { batch, n * w, n * w }, dtype: s.Rhs.dtype);
        for (int l = 0; l < n; l++)
        {
            matrix[.., TensorIndex.Slice(l * w, (l + 1) * w), TensorIndex.Slice(l * w, (l + 1) * w)] = s.Diagonal[l];
            if (l > 0) matrix[.., TensorIndex.Slice(l * w, (l + 1) * w), TensorIndex.Slice((l - 1) * w, l * w)] = s.Lower[l];
            if (l < n - 1) matrix[.., TensorIndex.Slice(l * w, (l + 1) * w), TensorIndex.Slice((l + 1) * w, (l + 2) * w)] = s.Upper[l];
        }
        var rhs = s.Rhs.permute(1, 0, 2).reshape(batch, n * w, 1);
        return torch.linalg.solve(matrix, rhs).reshape(batch, n, w).permute(1, 0, 2);
    }

    /// <summary>(n, B, w): the solution by the sequential block Thomas algorithm (block LU without pivoting between rows).</summary>
    public static Tensor Thomas(BlockTridiagonalSystem s)
    {
        int n = s.Length;
        var diagonal = new Tensor[n];
        var rhs = new Tensor[n];
        diagonal[0] = s.Diagonal[0];
        rhs[0] = s.Rhs[0].unsqueeze(-1);
        for (int l = 1; l < n; l++)
        {
            var factor = torch.linalg.solve(diagonal[l - 1].transpose(-1, -2), s.Lower[l].transpose(-1, -2)).transpose(-1, -2);
            diagonal[l] = s.Diagonal[l] - torch.matmul(factor, s.Upper[l - 1]);
            rhs[l] = s.Rhs[l].unsqueeze(-1) - torch.matmul(factor, rhs[l - 1]);
        }
        var x = new Tensor[n];
        x[n - 1] = torch.linalg.solve(diagonal[n - 1], rhs[n - 1]);
        for (int l = n - 2; l >= 0; l--)
        {
            x[l] = torch.linalg.solve(diagonal[l], rhs[l] - torch.matmul(s.Upper[l], x[l + 1]));
        }
        return torch.stack(x, 0).squeeze(-1);
    }
}
