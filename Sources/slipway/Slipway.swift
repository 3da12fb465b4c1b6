import ArgumentParser

@main
struct Slipway: AsyncParsableCommand {}
