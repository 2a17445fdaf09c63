using DeepPcr.Solvers;

namespace DeepPcr.Newton;

/// <summary>
/// The seam between the one backward pass (<see cref="AdjointPass"/>) and an engine. The backend holds the accepted
/// forward states z_0..z_L and the cotangents g_l = dLoss/dz_l; the pass asks it for the exact Jacobians, the solve of
/// the reversed chain u_1 = g_L, u_k = J_{L-k+2}^T u_{k-1} + g_{L-k+1} (lambda_l = u_{L-l+1}), and the gradients.
/// </summary>
public interface IAdjointBackend
{
    /// <summary>Builds the exact Jacobians J_1..J_L at z_0..z_{L-1} (never a cheaper structure: nothing corrects them).</summary>
    void Linearize();

    /// <summary>
    /// Solves the reversed chain from the cotangents: by PCR, or row by row when <paramref name="sequential"/> holds.
    /// Returns the PCR rounds as the kernel counted them (0 row by row).
    /// </summary>
    int SolveReversed(bool sequential);

    /// <summary>True when every lambda_l is finite.</summary>
    bool Finite { get; }

    /// <summary>The input gradient J_1^T lambda_1 and every parameter gradient, from lambda.</summary>
    void Gradients();
}

/// <summary>What the backward pass did.</summary>
/// <param name="PcrRounds">Rounds of the PCR solve.</param>
/// <param name="Fallback">None, or Sequential when PCR's solution was not finite and the reversed chain was solved row by row.</param>
/// <param name="Finite">True when the gradients' lambda ended finite.</param>
public sealed record AdjointRun(int PcrRounds, Fallback Fallback, bool Finite);

/// <summary>
/// The one backward pass of DeepPCR (docs/design.md section 1.3): the adjoint recurrence is linear, so it is one PCR
/// solve on the reversed chain with the exact Jacobians at the accepted states, no Newton iteration. If that solve is
/// not finite (products of expansive blocks overflow where the row-by-row recursion may not), the reversed chain is
/// solved again row by row and the result says so; a lambda that is still not finite is reported, as autograd would
/// give it.
/// </summary>
public static class AdjointPass
{
    /// <summary>Runs the pass on the backend.</summary>
    /// <param name="backend">The engine, holding the states and cotangents.</param>
    /// <param name="sequential">Solve the reversed chain row by row from the start (the sequential backward pass over
    /// the stored states, for chains where PCR's extra arithmetic does not pay), instead of by PCR.</param>
    public static AdjointRun Run(IAdjointBackend backend, bool sequential = false)
    {
        ArgumentNullException.ThrowIfNull(backend);
        backend.Linearize();
        int rounds = backend.SolveReversed(sequential);
        var fallback = Fallback.None;
        if (!sequential && !backend.Finite)
        {
            backend.SolveReversed(sequential: true);
            fallback = Fallback.Sequential;
        }
        backend.Gradients();
        return new AdjointRun(rounds, fallback, backend.Finite);
    }
}
