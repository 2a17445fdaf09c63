namespace DeepPcr.Solvers;

/// <summary>Where the iterations of a parallel method start.</summary>
public enum InitialGuess
{
    /// <summary>Every state z_1..z_L starts at zero (the documented cold start).</summary>
    Zeros,

    /// <summary>Every state starts at the chain's input z_0 (or a window's start state).</summary>
    Input,

    /// <summary>The states given in <see cref="SolverOptions.Guess"/> (a warm start).</summary>
    Given,
}
