using DeepPcr.Chains;
using DeepPcr.Linear;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Solvers.Globalization;

/// <summary>
/// The Levenberg–Marquardt system of a chain. The residual R_l(z) = z_l - f_l(z_{l-1}) (l = 1..n, z_0 given) has a
/// block-bidiagonal Jacobian J: I on the diagonal, -A_l below it (A_l = df_l/dz at z_{l-1}, l &gt;= 2). The step
/// solves (J^T J + lambda I) d = -J^T R, a block-tridiagonal system (0-based row j):
/// <code>
///   D_j = (1 + lambda) I + A_{j+1}^T A_{j+1}    (just (1 + lambda) I for the last row)
///   U_j = -A_{j+1}^T,   L_{j+1} = -A_{j+1}
///   y_j = r_j - A_{j+1}^T r_{j+1}              (r = -R = f(z_{l-1}) - z_l;  y_{n-1} = r_{n-1})
/// </code>
/// where A_{j+1} is the Jacobian of the step that reads state j. With lambda = 0 it is J d = r, the Newton step.
/// </summary>
internal static class NormalEquations
{
    /// <summary>Builds the system for per-sample damping.</summary>
    /// <param name="jacobians">(n, B, w, w): row j holds df/dz of the step that produces state j from state j - 1.</param>
    /// <param name="residual">(n, B, w): r = f(z_{l-1}) - z_l.</param>
    /// <param name="lambda">(B): the damping of each sample, lambda &gt;= 0.</param>
    public static BlockTridiagonalSystem Build(Tensor jacobians, Tensor residual, double[] lambda)
    {
        using var scope = torch.NewDisposeScope();
        long n = residual.size(0), batch = residual.size(1), width = residual.size(2);
        var next = Next(jacobians);                                               // A_{j+1}, zero for the last row
        var nextT = next.transpose(-1, -2);
        var damping = torch.tensor(lambda, dtype: residual.dtype, device: residual.device).view(1, batch, 1, 1) + 1.0;
        var identity = torch.eye(width, dtype: residual.dtype, device: residual.device);
        var diagonal = torch.matmul(nextT, next) + damping * identity;
        var rhs = residual - torch.matmul(nextT, Next(residual).unsqueeze(-1)).squeeze(-1);
        var system = new BlockTridiagonalSystem(
            (-jacobians).MoveToOuterDisposeScope(), diagonal.MoveToOuterDisposeScope(),
            (-nextT).MoveToOuterDisposeScope(), rhs.MoveToOuterDisposeScope());
        return system;
    }

    /// <summary>Row j holds row j + 1 of <paramref name="rows"/>; the last row is zero.</summary>
    private static Tensor Next(Tensor rows)
    {
        long n = rows.size(0);
        var zero = torch.zeros_like(rows.narrow(0, 0, 1));
        return n == 1 ? zero : torch.cat(new[] { rows.narrow(0, 1, n - 1), zero }, 0);
    }
}
